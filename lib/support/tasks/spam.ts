/**
 * Notebook 04's training recipes: a small BERT-style encoder on the SpamAssassin bodies,
 *   spam-mlm      masked-language-model pre-training on the training bodies (encoder + MLM head)
 *   spam          fine-tuning the pre-trained encoder to tell spam from ham (encoder + classifier)
 *   spam-scratch  the same fine-tuning from random weights, same budget (the comparison)
 * and what the notebook looks at: predictions, confusion matrix, misclassified messages, the
 * MLM's guesses for masked tokens, what [CLS] attends to. The bag-of-words baseline lives in
 * models/bow.ts; `spamBaseline()` trains it on the same split.
 *
 * Sizes (measured, see the report of issue 8 / bench/spam.ts): context 128 tokens, d = 64,
 * 4 heads, 2 layers, feed-forward 256: about 300k parameters, 60% of them the 3,000-token
 * embedding. 84% of the messages are longer than 126 tokens; a cut message keeps its first 78
 * and its last 48 tokens (head + tail: e-mail ends in signatures, list footers and unsubscribe
 * lines, which say a lot about spam and ham).
 */
import * as tf from "@tensorflow/tfjs";
import { readCheckpointMeta, loadCheckpoint } from "../checkpoints";
import { LabInputError } from "../checks";
import { batchIndices, loadSpam, SpamMessage, SplitName } from "../datasets";
import { crossEntropy as fastCrossEntropy } from "../fast/ops";
import {
  BertConfig, BertParams, BertPart, BertRunner, classifyFast, classProbabilities, clsAttention, copyBertWeights, createBert,
  disposeBert, bertVariables, mlmLossFast, mlmMaskIds, namedBertVariables, topMlmGuesses, TokenGuess, bertEncodeFast, mlmLogitsFast,
} from "../models/bert";
import * as bow from "../models/bow";
import type { NamedVariable } from "../models/params";
import { CLS_ID, frameBatch, MASK_ID, EncodedBatch, SEP_ID, SPECIAL_IDS, spamTokenizer } from "../tokenizers";
import { trainLoop, TrainResult } from "../train";
import { IGNORE_INDEX, MlmMaskOptions, MlmMaskResult } from "../types";
import type { Task, TaskModel, TaskTrainOptions } from "./task";

/** Tokens per input, [CLS] and [SEP] included. */
export const SPAM_CONTEXT = 128;
/** A cut message keeps its last SPAM_KEEP_TAIL tokens (and its first 126 − 48 = 78). */
export const SPAM_KEEP_TAIL = 48;

export const SPAM_BERT_CONFIG: BertConfig = { vocabSize: 3000, context: SPAM_CONTEXT, d: 64, numHeads: 4, dff: 256, numLayers: 2, numClasses: 2 };

export interface StageRecipe {
  steps: number;
  batchSize: number;
  /** Peak learning rate (AdamW), reached after `warmup` steps, then straight down to 0 at the last step. */
  learningRate: number;
  warmup: number;
  weightDecay: number;
}

/** The budgets of the committed checkpoints (and of `npm run bench -- spam`). */
export const SPAM_RECIPE: { mlm: StageRecipe; fineTune: StageRecipe } = {
  mlm: { steps: 1200, batchSize: 32, learningRate: 1e-3, warmup: 100, weightDecay: 0.01 },
  fineTune: { steps: 450, batchSize: 32, learningRate: 1e-3, warmup: 50, weightDecay: 0.01 },
};

/** Warm-up then linear decay to 0. */
export function warmupLinear(recipe: Pick<StageRecipe, "steps" | "learningRate" | "warmup">): (step: number) => number {
  return (step) => recipe.learningRate * Math.min(step / Math.max(recipe.warmup, 1), Math.max(0, (recipe.steps - step + 1) / Math.max(recipe.steps - recipe.warmup, 1)));
}

// ---------------------------------------------------------------------------------------------
// Data

export interface SpamSplit {
  messages: SpamMessage[];
  /** Each body's tokens (spamTokenizer, no specials, not cut). */
  tokens: number[][];
  /** 1 = spam, 0 = ham. */
  labels: number[];
}

let splits: Record<SplitName, SpamSplit> | undefined;

/** The three splits, tokenized once per process (about 2.5 s). */
export function spamSplits(): Record<SplitName, SpamSplit> {
  if (!splits) {
    const data = loadSpam();
    const tok = spamTokenizer();
    const make = (messages: SpamMessage[]): SpamSplit => ({ messages, tokens: messages.map((m) => tok.encode(m.text)), labels: messages.map((m) => m.label) });
    splits = { train: make(data.train), val: make(data.val), test: make(data.test) };
  }
  return splits;
}

/** Classifier input: [CLS] tokens [SEP], cut to the context (head + tail), padded; counts the cut rows. */
export function frameMessages(tokenLists: readonly (readonly number[])[], context = SPAM_CONTEXT, keepTail = SPAM_KEEP_TAIL): EncodedBatch {
  return frameBatch(tokenLists, { contextLength: context, prefix: [CLS_ID], suffix: [SEP_ID], keepTail });
}

/** The same for raw texts: empty text gives [CLS] [SEP]; a text of unknown characters gives [UNK]s. */
export function encodeMessages(texts: readonly string[], context = SPAM_CONTEXT, keepTail = SPAM_KEEP_TAIL): EncodedBatch {
  const tok = spamTokenizer();
  return frameMessages(texts.map((t, i) => {
    if (typeof t !== "string") throw new LabInputError(`encodeMessages: texts[${i}] must be a string, got ${typeof t}`);
    return tok.encode(t);
  }), context, keepTail);
}

/**
 * MLM pre-training text: every body cut into consecutive windows of context − 2 tokens (all of
 * it, not only what the classifier sees), each framed as [CLS] window [SEP].
 */
export function mlmWindows(tokenLists: readonly (readonly number[])[], context = SPAM_CONTEXT): number[][] {
  const room = context - 2;
  const out: number[][] = [];
  for (const tokens of tokenLists) for (let i = 0; i < tokens.length; i += room) out.push(tokens.slice(i, i + room));
  return out;
}

function tensorOf(batch: EncodedBatch): tf.Tensor2D {
  return tf.tensor2d(batch.ids, batch.shape, "int32");
}

/** A masking function with exercise 4.1's signature (the student's mlmMask can be passed in). */
export type MaskFunction = (ids: tf.Tensor, options: MlmMaskOptions) => MlmMaskResult;

function maskedBatch(windows: readonly number[][], rows: readonly number[], seed: number, context: number, vocabSize: number, mask?: MaskFunction): { inputs: tf.Tensor; labels: tf.Tensor } {
  const batch = frameBatch(rows.map((r) => windows[r]), { contextLength: context, prefix: [CLS_ID], suffix: [SEP_ID] });
  const options = { maskId: MASK_ID, vocabSize, seed, specialIds: SPECIAL_IDS };
  if (mask) {
    const ids = tensorOf(batch);
    try {
      return mask(ids, options);
    } finally {
      ids.dispose();
    }
  }
  const m = mlmMaskIds(batch.ids, batch.shape, options);
  return { inputs: tf.tensor2d(m.inputs, batch.shape, "int32"), labels: tf.tensor2d(m.labels, batch.shape, "int32") };
}

/** Rows of one step: epoch after epoch of seeded shuffled batches of 0..n-1. */
function stepRows(n: number, batchSize: number, seed: number): (step: number) => number[] {
  const perEpoch = Math.ceil(n / batchSize);
  const epochs = new Map<number, number[][]>();
  return (step) => {
    const e = Math.floor((step - 1) / perEpoch);
    if (!epochs.has(e)) {
      epochs.clear();
      epochs.set(e, batchIndices(n, batchSize, seed * 1000 + e + 1));
    }
    return epochs.get(e)![(step - 1) % perEpoch];
  };
}

// ---------------------------------------------------------------------------------------------
// Training

export interface StageOptions {
  /** Override the recipe's budget (a short live run in the notebook). */
  steps?: number;
  seed?: number;
  /** Stop early after this many seconds (CPU time). */
  timeBudgetSeconds?: number;
  /** Measure on the validation split every this many steps (default: 4 times per run; 0: never). */
  evaluateEvery?: number;
  title?: string;
}

/** Fixed, masked validation windows for the MLM curve: the same positions at every measurement. */
function mlmValidationSet(config: BertConfig, count = 256): { inputs: tf.Tensor; labels: tf.Tensor }[] {
  const windows = mlmWindows(spamSplits().val.tokens, config.context).slice(0, count);
  const out: { inputs: tf.Tensor; labels: tf.Tensor }[] = [];
  for (let i = 0; i < windows.length; i += 64) {
    const rows = Array.from({ length: Math.min(64, windows.length - i) }, (_, j) => i + j);
    out.push(maskedBatch(windows, rows, 7001 + 3 * i, config.context, config.vocabSize));
  }
  return out;
}

/** MLM loss and top-1 accuracy at the masked positions of fixed validation windows (fast path). */
export function mlmValidation(params: BertParams): { loss: number; accuracy: number } {
  const set = mlmValidationSet(params.config);
  let loss = 0;
  let hits = 0;
  let count = 0;
  try {
    for (const { inputs, labels } of set) {
      const lab = labels.dataSync();
      const positions: number[] = [];
      for (let i = 0; i < lab.length; i++) if (lab[i] !== IGNORE_INDEX) positions.push(i);
      if (positions.length === 0) continue;
      const targets = positions.map((i) => lab[i]);
      const [l, guess] = tf.tidy(() => {
        const hidden = tf.reshape(bertEncodeFast(params, inputs).output, [-1, params.config.d]);
        const logits = mlmLogitsFast(params, tf.gather(hidden, tf.tensor1d(positions, "int32")));
        return [fastCrossEntropy(logits, tf.tensor1d(targets, "int32")), tf.argMax(logits, -1)];
      });
      loss += l.dataSync()[0] * positions.length;
      const g = guess.dataSync();
      targets.forEach((t, j) => { if (g[j] === t) hits++; });
      count += positions.length;
      tf.dispose([l, guess]);
    }
  } finally {
    tf.dispose(set.flatMap((b) => [b.inputs, b.labels]));
  }
  return { loss: loss / Math.max(count, 1), accuracy: hits / Math.max(count, 1) };
}

/**
 * Pre-trains params.encoder and params.mlm by masked language modelling on the training bodies
 * (fast path, AdamW). `mask` replaces the pipeline's masking by another mlmMask (e.g. yours).
 */
export async function pretrainMlm(params: BertParams, opts: StageOptions & { mask?: MaskFunction } = {}): Promise<TrainResult> {
  const recipe = stageRecipe(SPAM_RECIPE.mlm, opts.steps);
  const seed = opts.seed ?? 1;
  const { context, vocabSize } = params.config;
  const windows = mlmWindows(spamSplits().train.tokens, context);
  const rowsOf = stepRows(windows.length, recipe.batchSize, seed);
  return trainLoop(bertVariables(params, ["encoder", "mlm"]), (step) => {
    const { inputs, labels } = maskedBatch(windows, rowsOf(step), seed * 100_000 + 3 * step, context, vocabSize, opts.mask);
    return mlmLossFast(params, inputs, labels); // inputs and labels are freed with the step's tensors
  }, {
    steps: recipe.steps, learningRate: warmupLinear(recipe), optimizer: "adamw", weightDecay: recipe.weightDecay, clock: "cpu",
    timeBudgetSeconds: opts.timeBudgetSeconds, logEvery: 25, title: opts.title ?? "MLM pre-training",
    evaluate: evaluateEvery(opts.evaluateEvery ?? Math.ceil(recipe.steps / 4), recipe.steps, () => ({ "validation MLM loss": mlmValidation(params).loss })),
  });
}

function evaluateEvery(every: number, last: number, f: () => Record<string, number>): ((step: number) => Record<string, number>) | undefined {
  if (every <= 0) return undefined;
  return (step) => (step % every === 0 || step === last ? f() : {});
}

/** The recipe, or a shorter run of it (a live cell): its warm-up shrinks to at most a tenth of the steps. */
function stageRecipe(recipe: StageRecipe, steps?: number): StageRecipe {
  if (steps === undefined || steps === recipe.steps) return recipe;
  if (!Number.isInteger(steps) || steps < 1) throw new LabInputError(`spam training: steps must be a positive integer, got ${steps}`);
  return { ...recipe, steps, warmup: Math.min(recipe.warmup, Math.ceil(steps / 10)) };
}

/** Fine-tunes params.encoder and params.classifier on spam vs ham (fast path, AdamW, cross-entropy). */
export async function fineTuneSpam(params: BertParams, opts: StageOptions = {}): Promise<TrainResult> {
  const recipe = stageRecipe(SPAM_RECIPE.fineTune, opts.steps);
  const seed = opts.seed ?? 1;
  const train = spamSplits().train;
  const framed = frameMessages(train.tokens, params.config.context);
  const t = params.config.context;
  const rowsOf = stepRows(train.tokens.length, recipe.batchSize, seed);
  return trainLoop(bertVariables(params, ["encoder", "classifier"]), (step) => {
    const rows = rowsOf(step);
    const ids = new Int32Array(rows.length * t);
    rows.forEach((r, i) => ids.set(framed.ids.subarray(r * t, (r + 1) * t), i * t));
    const input = tf.tensor2d(ids, [rows.length, t], "int32");
    const target = tf.tensor1d(rows.map((r) => train.labels[r]), "int32");
    return fastCrossEntropy(classifyFast(params, input), target);
  }, {
    steps: recipe.steps, learningRate: warmupLinear(recipe), optimizer: "adamw", weightDecay: recipe.weightDecay, clock: "cpu",
    timeBudgetSeconds: opts.timeBudgetSeconds, logEvery: 25, title: opts.title ?? "Fine-tuning: spam or ham",
    evaluate: evaluateEvery(opts.evaluateEvery ?? Math.ceil(recipe.steps / 4), recipe.steps, () => ({ "validation error": 1 - evaluateSpam("fast", params, "val").accuracy })),
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface SpamEvaluation {
  accuracy: number;
  /** p(spam) of every message. */
  probabilities: number[];
  /** 0/1 of every message (p(spam) > 0.5). */
  predictions: number[];
  labels: number[];
  /** [[ham as ham, ham as spam], [spam as ham, spam as spam]]. */
  confusion: [[number, number], [number, number]];
  /** How many messages were cut to the context. */
  truncated: number;
}

/** 2x2 counts: rows the true label (ham, spam), columns the prediction. */
export function confusionMatrix(labels: readonly number[], predictions: readonly number[]): [[number, number], [number, number]] {
  const m: [[number, number], [number, number]] = [[0, 0], [0, 0]];
  labels.forEach((y, i) => m[y][predictions[i]]++);
  return m;
}

function scoreOf(labels: number[], probabilities: number[], truncated: number): SpamEvaluation {
  const predictions = probabilities.map((p) => (p > 0.5 ? 1 : 0));
  const right = predictions.filter((p, i) => p === labels[i]).length;
  return { accuracy: right / labels.length, probabilities, predictions, labels, confusion: confusionMatrix(labels, predictions), truncated };
}

/**
 * The classifier on a split (or on any messages): through the exercise functions given (your
 * encoderForward, clsPool, classifierHead) or on the fast path.
 */
export function evaluateSpam(runner: BertRunner, params: BertParams, split: SplitName | readonly SpamMessage[], batchSize = 64): SpamEvaluation {
  const tok = spamTokenizer();
  const { tokens, labels } = typeof split === "string" ? spamSplits()[split] : { tokens: split.map((m) => tok.encode(m.text)), labels: split.map((m) => m.label as number) };
  const framed = frameMessages(tokens, params.config.context);
  const t = params.config.context;
  const probabilities: number[] = [];
  for (let i = 0; i < tokens.length; i += batchSize) {
    const n = Math.min(batchSize, tokens.length - i);
    const ids = tf.tensor2d(framed.ids.subarray(i * t, (i + n) * t), [n, t], "int32");
    try {
      probabilities.push(...classProbabilities(runner, params, ids).map((p) => p[1]));
    } finally {
      ids.dispose();
    }
  }
  return scoreOf([...labels], probabilities, framed.truncated);
}

export interface Misclassified {
  message: SpamMessage;
  /** p(spam) the model gave it. */
  probability: number;
  /** The first lines of the body (at most `lines` lines, each at most 100 characters). */
  preview: string;
}

/** The messages a classifier got wrong, most confident mistakes first. */
export function misclassified(messages: readonly SpamMessage[], evaluation: Pick<SpamEvaluation, "probabilities" | "predictions">, lines = 3): Misclassified[] {
  return messages
    .map((message, i) => ({ message, probability: evaluation.probabilities[i], wrong: evaluation.predictions[i] !== message.label }))
    .filter((x) => x.wrong)
    .sort((a, b) => Math.abs(b.probability - 0.5) - Math.abs(a.probability - 0.5))
    .map(({ message, probability }) => ({
      message, probability,
      preview: message.text.split("\n").filter((l) => l.trim() !== "").slice(0, lines).map((l) => (l.length > 100 ? l.slice(0, 99) + "…" : l)).join("\n"),
    }));
}

// ---------------------------------------------------------------------------------------------
// Looking inside

export interface MaskedGuess {
  position: number;
  /** The token that was hidden. */
  original: string;
  /** The model's k best guesses, most likely first. */
  guesses: { token: string; probability: number }[];
}

/**
 * Hides some tokens of `text` behind [MASK] and asks the MLM head for its k best guesses at
 * each. positions: token positions in [CLS] tokens [SEP] (1 = the first token); by default
 * every `every`-th whole-word token (one that starts with a space and has 3+ letters).
 */
export function maskedGuesses(runner: BertRunner, params: BertParams, text: string, opts: { positions?: number[]; every?: number; k?: number } = {}): { tokens: string[]; items: MaskedGuess[] } {
  const tok = spamTokenizer();
  const framed = encodeMessages([text], params.config.context, 0);
  const ids = Array.from(framed.ids.subarray(0, framed.lengths[0]));
  const words = ids.map((id, i) => ({ i, s: tok.tokenOf(id) })).filter(({ s }) => /^\u2581[a-z]{3,}$/.test(s)).map(({ i }) => i);
  const every = opts.every ?? 4;
  const positions = opts.positions ?? words.filter((_, j) => j % every === every - 1);
  positions.forEach((p) => {
    if (!Number.isInteger(p) || p < 1 || p >= ids.length - 1) throw new LabInputError(`maskedGuesses: position ${p} is not a token of the message (1 to ${ids.length - 2})`);
  });
  const masked = ids.slice();
  for (const p of positions) masked[p] = MASK_ID;
  const guesses: TokenGuess[][] = topMlmGuesses(runner, params, masked, positions, opts.k ?? 5);
  return {
    tokens: masked.map((id) => tok.tokenOf(id)),
    items: positions.map((p, j) => ({ position: p, original: tok.tokenOf(ids[p]), guesses: guesses[j].map((g) => ({ token: tok.tokenOf(g.id), probability: g.probability })) })),
  };
}

/**
 * What [CLS] attends to in one message: the tokens ([CLS] … [SEP]), weights[layer][head][j],
 * and the `top` tokens it weighs most in the last layer (averaged over heads).
 */
export function clsAttentionOf(runner: BertRunner, params: BertParams, text: string, top = 10): { tokens: string[]; weights: number[][][]; strongest: { position: number; token: string; weight: number }[] } {
  const tok = spamTokenizer();
  const framed = encodeMessages([text], params.config.context);
  const ids = Array.from(framed.ids.subarray(0, framed.lengths[0]));
  const weights = clsAttention(runner, params, ids);
  const last = weights[weights.length - 1];
  const mean = ids.map((_, j) => last.reduce((s, head) => s + head[j], 0) / last.length);
  const tokens = ids.map((id) => tok.tokenOf(id));
  const strongest = mean.map((weight, position) => ({ position, token: tokens[position], weight })).sort((a, b) => b.weight - a.weight).slice(0, top);
  return { tokens, weights, strongest };
}

// ---------------------------------------------------------------------------------------------
// The baseline

export interface BaselineResult {
  vocabulary: bow.BowVocabulary;
  params: bow.LogRegParams;
  train: TrainResult;
  val: SpamEvaluation;
  test: SpamEvaluation;
  /** CPU seconds for the features and the training. */
  seconds: number;
}

/** The bag-of-words logistic regression baseline: 5,000 words from the training split, log counts, whole bodies. */
export async function spamBaseline(opts: { steps?: number; vocabularySize?: number } = {}): Promise<BaselineResult> {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const started = cpu();
  const s = spamSplits();
  const texts = (split: SpamSplit) => split.messages.map((m) => m.text);
  const vocabulary = bow.buildBowVocabulary(texts(s.train), opts.vocabularySize ?? 5000);
  const features = { train: bow.bowFeatures(vocabulary, texts(s.train)), val: bow.bowFeatures(vocabulary, texts(s.val)), test: bow.bowFeatures(vocabulary, texts(s.test)) };
  try {
    const params = bow.createLogReg(vocabulary.words.length);
    const train = await bow.trainLogReg(params, features.train, s.train.labels, { steps: opts.steps ?? 200, learningRate: 0.1 });
    const evalOn = (f: bow.BowFeatures, split: SpamSplit) => scoreOf(split.labels, bow.logRegProbabilities(params, f), 0);
    return { vocabulary, params, train, val: evalOn(features.val, s.val), test: evalOn(features.test, s.test), seconds: cpu() - started };
  } finally {
    Object.values(features).forEach(bow.disposeBowFeatures);
  }
}

// ---------------------------------------------------------------------------------------------
// The tasks

/** A BERT model with the parts one task trains and saves. */
export class SpamModel implements TaskModel {
  constructor(readonly params: BertParams, readonly parts: readonly BertPart[]) {}
  get config(): BertConfig {
    return this.params.config;
  }
  named(): NamedVariable[] {
    return namedBertVariables(this.params, this.parts);
  }
  dispose(): void {
    disposeBert(this.params);
  }
}

const logOf = (opts?: TaskTrainOptions) => opts?.log;

export const spamMlmTask: Task<SpamModel> = {
  name: "spam-mlm",
  description: "notebook 04: MLM pre-training of a 2-layer d=64 encoder on the SpamAssassin training bodies",
  seed: 1,
  create: (seed = 1) => new SpamModel(createBert(SPAM_BERT_CONFIG, seed), ["encoder", "mlm"]),
  async train(model, opts) {
    const r = await pretrainMlm(model.params, { seed: 1 });
    logOf(opts)?.(`MLM: ${r.steps} steps, ${r.seconds.toFixed(0)} s CPU, last loss ${r.losses[r.losses.length - 1].toFixed(3)}`);
    return { steps: r.steps, seconds: r.seconds };
  },
  evaluate(model) {
    const v = mlmValidation(model.params);
    return { "validation MLM loss": v.loss, "validation MLM accuracy": v.accuracy };
  },
};

function classifierScores(model: SpamModel): Record<string, number> {
  return { "validation accuracy": evaluateSpam("fast", model.params, "val").accuracy, "test accuracy": evaluateSpam("fast", model.params, "test").accuracy };
}

/** Loads the committed pre-trained encoder (checkpoints/spam-mlm) into params. */
export function loadPretrainedEncoder(params: BertParams): void {
  const pre = new SpamModel(createBert(params.config, 1), ["encoder", "mlm"]);
  try {
    loadCheckpoint(spamMlmTask.name, pre.named(), { config: pre.config });
    copyBertWeights(pre.params, params, ["encoder"]);
  } catch (e) {
    throw new Error(`spam: fine-tuning starts from the pre-trained encoder, checkpoints/spam-mlm; ${(e as Error).message}. Train both with: npm run train -- spam-mlm spam`);
  } finally {
    pre.dispose();
  }
}

export const spamTask: Task<SpamModel> = {
  name: "spam",
  description: "notebook 04: the spam-mlm encoder fine-tuned to tell spam from ham (needs checkpoints/spam-mlm)",
  seed: 1,
  create: (seed = 1) => new SpamModel(createBert(SPAM_BERT_CONFIG, seed), ["encoder", "classifier"]),
  async train(model, opts) {
    loadPretrainedEncoder(model.params);
    logOf(opts)?.(`starting from the pre-trained encoder of ${readCheckpointMeta(spamMlmTask.name).command}`);
    const r = await fineTuneSpam(model.params, { seed: 1 });
    return { steps: r.steps, seconds: r.seconds };
  },
  evaluate: classifierScores,
};

export const spamScratchTask: Task<SpamModel> = {
  name: "spam-scratch",
  description: "notebook 04: the same classifier fine-tuned from random weights (no pre-training), same budget",
  seed: 1,
  create: spamTask.create,
  async train(model) {
    const r = await fineTuneSpam(model.params, { seed: 1 });
    return { steps: r.steps, seconds: r.seconds };
  },
  evaluate: classifierScores,
};
