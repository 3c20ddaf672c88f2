/**
 * The baseline a Transformer must beat on text classification: logistic regression on a bag of
 * words. A message becomes one number per vocabulary word, log(1 + how often the word occurs),
 * and the model is a single weighted sum: p(spam) = sigmoid(x·w + b). Word order is ignored.
 *
 * Words are what scikit-learn's CountVectorizer takes by default (runs of two or more letters,
 * digits or underscores, lower-cased), after the e-mail tokenizer's normalizeText; the vocabulary
 * is the most frequent words of the training texts. Training minimises the mean log-loss plus
 * scikit-learn's default L2 penalty (C = 1: ½‖w‖² on the summed loss), full batch, with Adam.
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { normalizeText } from "../tokenizers";
import { trainLoop, TrainResult, zerosVar } from "../train";

/** The words of a text: runs of at least two letters, digits or "_", after normalizeText (lower case, accents stripped). */
export function bowWords(text: string): string[] {
  if (typeof text !== "string") throw new LabInputError(`bowWords: argument "text" must be a string, got ${typeof text}`);
  return normalizeText(text).match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

export interface BowVocabulary {
  /** Word i is feature i. */
  readonly words: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

/** The `size` most frequent words of `texts` (total occurrences; ties in alphabetical order). */
export function buildBowVocabulary(texts: readonly string[], size = 5000): BowVocabulary {
  if (!Number.isInteger(size) || size < 1) throw new LabInputError(`buildBowVocabulary: size must be an integer >= 1, got ${size}`);
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of bowWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, size).map(([w]) => w);
  return { words, index: new Map(words.map((w, i) => [w, i])) };
}

/**
 * A batch of bags of words, stored sparsely: row n lists the vocabulary words of text n (ids) and
 * their log(1 + count) (values), padded to the longest list with value 0. It stands for the
 * [N, F] matrix X with X[n, ids[n, k]] = values[n, k] and zeros elsewhere (most of a message's
 * 5,000 features are 0: a message has a few hundred distinct words at most).
 */
export interface BowFeatures {
  /** [N, K] int32: feature (word) indices. */
  ids: tf.Tensor2D;
  /** [N, K] float32: log(1 + count); 0 in padding. */
  values: tf.Tensor2D;
  /** F, the vocabulary size. */
  numFeatures: number;
}

/** The bags of words of `texts` (words outside the vocabulary are ignored). */
export function bowFeatures(vocab: BowVocabulary, texts: readonly string[]): BowFeatures {
  const rows = texts.map((t, r) => {
    if (typeof t !== "string") throw new LabInputError(`bowFeatures: texts[${r}] must be a string, got ${typeof t}`);
    const counts = new Map<number, number>();
    for (const w of bowWords(t)) {
      const i = vocab.index.get(w);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => a[0] - b[0]);
  });
  const k = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Int32Array(texts.length * k);
  const values = new Float32Array(texts.length * k);
  rows.forEach((row, r) => row.forEach(([i, n], j) => {
    ids[r * k + j] = i;
    values[r * k + j] = Math.log1p(n);
  }));
  return { ids: tf.tensor2d(ids, [texts.length, k], "int32"), values: tf.tensor2d(values, [texts.length, k]), numFeatures: vocab.words.length };
}

export function disposeBowFeatures(f: BowFeatures): void {
  tf.dispose([f.ids, f.values]);
}

export interface LogRegParams {
  /** [F, 1] */
  w: tf.Variable;
  /** [1] */
  b: tf.Variable;
}

/** Zero weights (the log-loss is convex: the optimum does not depend on the start). */
export function createLogReg(numFeatures: number): LogRegParams {
  return { w: zerosVar([numFeatures, 1]), b: zerosVar([1]) };
}

export function disposeLogReg(p: LogRegParams): void {
  tf.dispose([p.w, p.b]);
}

/**
 * Logits [N] (log-odds of class 1): x·w + b, computed from the sparse rows as
 * Σ_k values[n, k] · w[ids[n, k]] + b (the weight lookup has a gradient on every backend).
 */
export function logRegLogits(p: LogRegParams, features: BowFeatures): tf.Tensor1D {
  if (features.numFeatures !== p.w.shape[0]) throw new LabInputError(`logRegLogits: features have ${features.numFeatures} words, the weights ${p.w.shape[0]}`);
  return tf.tidy(() => {
    const picked = tf.reshape(fast.embedding(p.w, features.ids), features.ids.shape); // [N, K]: w[ids[n, k]]
    return tf.add(tf.sum(tf.mul(picked, features.values), 1), p.b) as tf.Tensor1D;
  });
}

export interface LogRegTrainOptions {
  /** Full-batch Adam steps (default 300). */
  steps?: number;
  /** Default 0.05. */
  learningRate?: number;
  /** scikit-learn's C: the penalty is ½‖w‖² / C on the summed log-loss (default 1). */
  C?: number;
  logEvery?: number;
  title?: string;
}

/** Fits the weights to the features of N texts and their labels (0/1); returns trainLoop's result (CPU-time clock). */
export async function trainLogReg(p: LogRegParams, features: BowFeatures, labels: readonly number[], opts: LogRegTrainOptions = {}): Promise<TrainResult> {
  const n = features.ids.shape[0];
  if (labels.length !== n) throw new LabInputError(`trainLogReg: ${labels.length} labels for ${n} feature rows`);
  const y = tf.tensor1d([...labels], "float32");
  const penalty = 1 / (2 * (opts.C ?? 1) * n); // on the mean loss
  try {
    return await trainLoop([p.w, p.b], () => {
      const z = logRegLogits(p, features);
      // log-loss of sigmoid(z) against y: softplus(z) − y·z, stable for any z
      const logLoss = tf.mean(tf.sub(tf.softplus(z), tf.mul(y, z)));
      return tf.add(logLoss, tf.mul(penalty, tf.sum(tf.square(p.w)))) as tf.Scalar;
    }, { steps: opts.steps ?? 300, learningRate: opts.learningRate ?? 0.05, optimizer: "adamw", weightDecay: 0, clock: "cpu", logEvery: opts.logEvery ?? 50, title: opts.title ?? "Bag-of-words logistic regression" });
  } finally {
    y.dispose();
  }
}

/** p(class 1) for every row of features. */
export function logRegProbabilities(p: LogRegParams, features: BowFeatures): number[] {
  const probabilities = tf.tidy(() => tf.sigmoid(logRegLogits(p, features)));
  try {
    return Array.from(probabilities.dataSync());
  } finally {
    probabilities.dispose();
  }
}

/** The words with the largest and the smallest weights: what pushes a message towards class 1 and towards class 0. */
export function topWeightedWords(p: LogRegParams, vocab: BowVocabulary, k = 10): { positive: [string, number][]; negative: [string, number][] } {
  const w = Array.from(p.w.dataSync());
  const order = w.map((v, i) => [vocab.words[i], v] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { positive: order.slice(0, k), negative: order.slice(-k).reverse() };
}
