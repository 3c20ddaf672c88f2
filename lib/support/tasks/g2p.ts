/**
 * Grapheme-to-phoneme conversion on CMUdict (notebook 06): spelling in, ARPAbet phonemes out.
 * Two tasks on the same data, budget and scoring:
 *
 *   g2p       the encoder-decoder Transformer of lib/support/models/seq2seq.ts
 *   g2p-gru   the GRU encoder-decoder of lib/support/models/rnn.ts, whose decoder sees the word
 *             only through one fixed-length context vector
 *
 * Data (loadCmudict, datasets/README.md): alphabetic words, stress removed, split 90/5/5 by
 * word. Training uses every listed pronunciation of a training word as its own example
 * (111,843 pairs from 104,856 words). Scoring: a word with several pronunciations is counted
 * against the closest one (fewest edits; on a tie the first listed), so "read" → R IY D and
 * "read" → R EH D are both correct. PER = total edits / total length of those closest
 * pronunciations; WER = the fraction of words whose prediction is not exactly one of them.
 *
 * Words given to the models: letters a-z (upper case is lower-cased, accents are removed:
 * "Café" → "cafe"); any other character (apostrophe, hyphen, digit, space) and the empty word
 * are errors, and so are words longer than the models' maxLen (34 letters, the longest word
 * in the dictionary).
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError } from "../checks";
import { loadCmudict } from "../datasets";
import { crossEntropy } from "../fast/ops";
import { shuffled } from "../random";
import { BOS_ID, EOS_ID, letterTokenizer, PAD_ID, phonemeTokenizer } from "../tokenizers";
import { trainLoop } from "../train";
import type { DecodingModel } from "../types";
import { countParameters } from "../models/params";
import { createGruSeq2Seq, disposeGruSeq2Seq, gruDecodingModel, gruForwardFast, GruSeq2SeqConfig, GruSeq2SeqParams, gruSeq2SeqVariables, namedGruSeq2SeqVariables } from "../models/rnn";
import { createSeq2Seq, decodingModel, decodingModelFast, disposeSeq2Seq, forward, forwardFast, namedSeq2SeqVariables, Seq2SeqBlocks, Seq2SeqConfig, Seq2SeqModel, seq2seqVariables } from "../models/seq2seq";
import type { Task, TaskModel, TaskTrainOptions } from "./task";

/** [BOS] starts every decoder input, [EOS] ends every target, [PAD] fills both. */
export const G2P_TOKENS = { bosId: BOS_ID, eosId: EOS_ID, padId: PAD_ID } as const;

/** Longest word (letters) and longest pronunciation + [EOS] the models take. */
export const G2P_MAX_LEN = 34;

// ---------------------------------------------------------------------------------------------
// Words and pronunciations as ids

/** The letter ids of a word (7-32), after lower-casing and removing accents; throws for anything else. */
export function encodeWord(word: string, fn = "encodeWord"): number[] {
  if (typeof word !== "string") throw new LabInputError(`${fn}: a word must be a string, got ${typeof word}`);
  const folded = word.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  if (folded.length === 0) throw new LabInputError(`${fn}: the word is empty; give at least one letter a-z`);
  const bad = [...folded].findIndex((c) => c < "a" || c > "z");
  if (bad >= 0) {
    throw new LabInputError(`${fn}: "${word}" has a character outside a-z (${JSON.stringify([...folded][bad])} at position ${bad}); the models were trained on letters only, so remove it (e.g. "don't" → "dont")`);
  }
  if (folded.length > G2P_MAX_LEN) throw new LabInputError(`${fn}: "${word}" has ${folded.length} letters; the models take at most ${G2P_MAX_LEN}`);
  return letterTokenizer().encode(folded);
}

/** Source ids [B, Tx] int32 for a list of words, padded with [PAD] to the longest. */
export function encodeWords(words: readonly string[], fn = "encodeWords"): tf.Tensor {
  if (!Array.isArray(words) || words.length === 0) throw new LabInputError(`${fn}: give a non-empty array of words`);
  const rows = words.map((w) => encodeWord(w, fn));
  return padTensor(rows, Math.max(...rows.map((r) => r.length)));
}

/** Phoneme strings of output ids: stops at [EOS], skips [PAD] and other specials. */
export function phonemesOf(ids: ArrayLike<number>): string[] {
  const tok = phonemeTokenizer();
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === EOS_ID) break;
    if (ids[i] >= 7) out.push(tok.tokenOf(ids[i]));
  }
  return out;
}

function padTensor(rows: readonly (readonly number[])[], length: number): tf.Tensor {
  const flat = new Int32Array(rows.length * length); // PAD_ID = 0
  rows.forEach((r, i) => flat.set(r, i * length));
  return tf.tensor2d(flat, [rows.length, length], "int32");
}

/** One training example: a spelling and one of its pronunciations, as ids. */
export interface G2pPair {
  src: number[];
  /** Phoneme ids without [BOS]/[EOS]. */
  tgt: number[];
}

/** One scored word: its spelling and every listed pronunciation. */
export interface G2pWord {
  word: string;
  src: number[];
  /** Phoneme ids of each pronunciation, dictionary order. */
  references: number[][];
}

export interface G2pData {
  train: G2pPair[];
  val: G2pWord[];
  test: G2pWord[];
}

let cache: G2pData | undefined;

/** The CMUdict splits as ids (cached per process; callers must not modify them). */
export function g2pData(): G2pData {
  if (cache) return cache;
  const d = loadCmudict();
  const phon = phonemeTokenizer();
  const words = (split: typeof d.train): G2pWord[] =>
    split.map((e) => ({ word: e.word, src: encodeWord(e.word), references: e.pronunciations.map((p) => phon.encode(p)) }));
  const train = words(d.train).flatMap((w) => w.references.map((tgt) => ({ src: w.src, tgt })));
  cache = { train, val: words(d.val), test: words(d.test) };
  return cache;
}

// ---------------------------------------------------------------------------------------------
// Batches

/**
 * One epoch of training batches (indices into `pairs`), seeded: examples of similar length
 * are grouped (so little padding is computed) and each batch holds at most `tokens` padded
 * positions, source and target together. The same seed gives the same batches.
 */
export function g2pBatches(pairs: readonly G2pPair[], tokens: number, seed: number): number[][] {
  const order = shuffled(pairs.map((_, i) => i), seed); // random order among equal lengths
  const len = (i: number) => pairs[i].src.length * 64 + pairs[i].tgt.length;
  order.sort((a, b) => len(a) - len(b));
  const batches: number[][] = [];
  let current: number[] = [];
  let maxSrc = 0;
  let maxTgt = 0;
  for (const i of order) {
    const s = Math.max(maxSrc, pairs[i].src.length);
    const t = Math.max(maxTgt, pairs[i].tgt.length + 1);
    if (current.length > 0 && (current.length + 1) * (s + t) > tokens) {
      batches.push(current);
      current = [];
      maxSrc = maxTgt = 0;
    }
    current.push(i);
    maxSrc = Math.max(maxSrc, pairs[i].src.length);
    maxTgt = Math.max(maxTgt, pairs[i].tgt.length + 1);
  }
  if (current.length > 0) batches.push(current);
  return shuffled(batches, seed + 1);
}

export interface G2pBatch {
  /** [B, Ts] letter ids, [PAD] after each word. */
  src: tf.Tensor;
  /** [B, Tt] [BOS] + phonemes, then [PAD]. */
  tgtIn: tf.Tensor;
  /** [B, Tt] phonemes + [EOS], then [PAD] (ignored by the loss). */
  tgtOut: tf.Tensor;
  /** Real (non-padding) tokens, source and target. */
  tokens: number;
}

export function g2pBatch(pairs: readonly G2pPair[], indices: readonly number[]): G2pBatch {
  const rows = indices.map((i) => pairs[i]);
  const ts = Math.max(...rows.map((r) => r.src.length));
  const tt = Math.max(...rows.map((r) => r.tgt.length + 1));
  return {
    src: padTensor(rows.map((r) => r.src), ts),
    tgtIn: padTensor(rows.map((r) => [BOS_ID, ...r.tgt]), tt),
    tgtOut: padTensor(rows.map((r) => [...r.tgt, EOS_ID]), tt),
    tokens: rows.reduce((n, r) => n + r.src.length + r.tgt.length + 1, 0),
  };
}

export function disposeG2pBatch(b: G2pBatch): void {
  tf.dispose([b.src, b.tgtIn, b.tgtOut]);
}

// ---------------------------------------------------------------------------------------------
// Scoring

/** Levenshtein distance of two id sequences (unit costs); the support code's own, for evaluation. */
function levenshtein(a: readonly number[], b: readonly number[], row: Int32Array): number {
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(diagonal + (a[i - 1] === b[j - 1] ? 0 : 1), up + 1, row[j - 1] + 1);
      diagonal = up;
    }
  }
  return row[b.length];
}

/** How one prediction scored: edits against the closest reference and that reference's length. */
export interface WordScore {
  edits: number;
  length: number;
}

export function scoreWord(prediction: readonly number[], references: readonly (readonly number[])[]): WordScore {
  const row = new Int32Array(Math.max(...references.map((r) => r.length)) + 1);
  let best: WordScore = { edits: Infinity, length: 0 };
  for (const r of references) {
    const edits = levenshtein(prediction, r, row);
    if (edits < best.edits) best = { edits, length: r.length };
  }
  return best;
}

export interface G2pScores {
  /** Phoneme error rate: total edits / total closest-reference length. */
  per: number;
  /** Word error rate: fraction of words not exactly equal to one of their pronunciations. */
  wer: number;
  words: number;
  /** Output phonemes per second of decoding (CPU time). */
  phonemesPerSecond: number;
  /** CPU seconds spent decoding. */
  seconds: number;
  /** WER and word count by word length in letters. */
  byLength: { letters: number; words: number; wer: number; per: number }[];
  /** Per word, in the order given: the predicted phoneme ids and its score. */
  predictions: { word: string; prediction: number[]; score: WordScore }[];
}

/** Phoneme ids of every row up to its [EOS], by the support code's greedy decoder (the reference for tasks). */
function greedyIds(model: DecodingModel, src: tf.Tensor, maxLen: number): number[][] {
  const b = src.shape[0];
  const out: number[][] = Array.from({ length: b }, () => []);
  const open = new Array<boolean>(b).fill(true);
  let state = model.start(src);
  let feed = tf.fill([b], model.bosId, "int32");
  try {
    for (let t = 0; t < maxLen && open.includes(true); t++) {
      const { logProbs, state: next } = model.step(state, feed);
      tf.dispose([...Object.values(state), feed]);
      state = next;
      feed = tf.tidy(() => tf.cast(tf.argMax(logProbs, -1), "int32"));
      logProbs.dispose();
      feed.dataSync().forEach((id, i) => {
        if (!open[i]) return;
        if (id === model.eosId) open[i] = false;
        else out[i].push(id);
      });
    }
  } finally {
    tf.dispose([...Object.values(state), feed]);
  }
  return out;
}

/** What turns a batch of sources into predictions: greedy by default, or any decoder (beam search …). */
export type G2pDecoder = (model: DecodingModel, src: tf.Tensor, maxLen: number) => number[][];

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Decodes `words` (batches of similar length) and scores them against their closest
 * references. `decoder` returns, per row, the phoneme ids before [EOS]; the default is greedy.
 */
export function scoreG2p(model: DecodingModel, words: readonly G2pWord[], opts: { decoder?: G2pDecoder; batchSize?: number } = {}): G2pScores {
  const decoder = opts.decoder ?? greedyIds;
  const batchSize = opts.batchSize ?? 256;
  const order = words.map((_, i) => i).sort((a, b) => words[a].src.length - words[b].src.length || a - b);
  const predicted: number[][] = new Array(words.length);
  const started = cpuSeconds();
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const longest = Math.max(...idx.map((j) => words[j].src.length));
    const src = padTensor(idx.map((j) => words[j].src), longest);
    try {
      decoder(model, src, G2P_MAX_LEN).forEach((p, k) => (predicted[idx[k]] = p));
    } finally {
      src.dispose();
    }
  }
  const seconds = cpuSeconds() - started;
  const predictions = words.map((w, i) => ({ word: w.word, prediction: predicted[i], score: scoreWord(predicted[i], w.references) }));
  const sum = (xs: { score: WordScore }[]) => {
    const edits = xs.reduce((n, p) => n + p.score.edits, 0);
    const length = xs.reduce((n, p) => n + p.score.length, 0);
    return { per: edits / Math.max(length, 1), wer: xs.filter((p) => p.score.edits > 0).length / Math.max(xs.length, 1) };
  };
  const lengths = [...new Set(words.map((w) => w.word.length))].sort((a, b) => a - b);
  const byLength = lengths.map((letters) => {
    const xs = predictions.filter((p) => p.word.length === letters);
    return { letters, words: xs.length, ...sum(xs) };
  });
  const phonemes = predicted.reduce((n, p) => n + p.length + 1, 0);
  return { ...sum(predictions), words: words.length, seconds, phonemesPerSecond: phonemes / Math.max(seconds, 1e-9), byLength, predictions };
}

// ---------------------------------------------------------------------------------------------
// Training recipes and the two tasks

export interface G2pRecipe {
  /** Optimizer steps of the checkpoint (a fixed number, so the same machine makes the same file). */
  steps: number;
  /** Padded positions (source + target) per batch. */
  tokensPerBatch: number;
  learningRate: number;
  /** Linear warm-up steps, then a cosine decay to 1/20 of the rate at the last step. */
  warmup: number;
  weightDecay: number;
  /** Seed of the batch order (epoch e uses dataSeed + 2e). */
  dataSeed: number;
  /** Log (and measure validation loss on a fixed batch) every this many steps. */
  logEvery: number;
}

/** The rate at `step` (1-based) of `steps`: linear warm-up, then cosine down to 5% of the peak. */
export function g2pSchedule(recipe: Pick<G2pRecipe, "learningRate" | "warmup" | "steps">): (step: number) => number {
  return (step) => {
    const { learningRate: lr, warmup, steps } = recipe;
    if (step <= warmup) return (lr * step) / warmup;
    const progress = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
    return lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}

/** The Transformer of the g2p task. */
export const G2P_TRANSFORMER: Seq2SeqConfig = {
  vocabSize: phonemeTokenizer().vocabSize, srcVocabSize: letterTokenizer().vocabSize,
  d: 128, numHeads: 4, dff: 256, numLayers: 2, maxLen: G2P_MAX_LEN, srcPadId: PAD_ID,
};

/** The GRU encoder-decoder of the g2p-gru task. */
export const G2P_GRU: GruSeq2SeqConfig = {
  srcVocabSize: letterTokenizer().vocabSize, vocabSize: phonemeTokenizer().vocabSize,
  embed: 64, hidden: 256, maxLen: G2P_MAX_LEN, srcPadId: PAD_ID,
};

/**
 * The checkpoints' recipes, nearly two epochs of the training pairs each, sized for the issue's
 * budget (the Transformer within 12 CPU-minutes, the GRU within 6). Measured at a load of about 8
 * on the shared 2-core machine (2026-12-02), training + scoring: g2p 464 s CPU (446 s training,
 * 0.32 s/step), test PER 11.8%, WER 44.2%; g2p-gru 478 s CPU (455 s training, 0.35 s/step under
 * that load, 0.22 s/step measured alone), test PER 14.9%, WER 48.3%.
 */
export const G2P_RECIPE: G2pRecipe = { steps: 1400, tokensPerBatch: 2400, learningRate: 2e-3, warmup: 150, weightDecay: 0.01, dataSeed: 61, logEvery: 100 };
export const G2P_GRU_RECIPE: G2pRecipe = { steps: 1300, tokensPerBatch: 2400, learningRate: 2e-3, warmup: 200, weightDecay: 0.01, dataSeed: 61, logEvery: 100 };

/** A task's model: its parameters, the DecodingModel of exercises 6.1/6.2 on them, the teacher-forced logits. */
export interface G2pTaskModel<P> extends TaskModel {
  readonly config: Seq2SeqConfig | GruSeq2SeqConfig;
  readonly params: P;
  /** Greedy/beam search drive this (fast path). */
  readonly decoder: DecodingModel;
  /** Teacher-forced logits [B, Tt, V] on the fast path. */
  logits(src: tf.Tensor, tgtIn: tf.Tensor): tf.Tensor;
  variables(): tf.Variable[];
  parameterCount(): number;
}

/**
 * The g2p task's view of Transformer parameters (any config): decoder, logits, names, disposal.
 * By default it runs on the fast path; with `blocks` (the student's encoder and decoder layers,
 * or the reference) training and decoding run through those functions instead (plain tfjs,
 * several times slower, the same numbers up to rounding).
 */
export function g2pTransformer(params: Seq2SeqModel, blocks?: Seq2SeqBlocks): G2pTaskModel<Seq2SeqModel> {
  return {
    config: params.config, params,
    decoder: blocks ? decodingModel(blocks, params, G2P_TOKENS) : decodingModelFast(params, G2P_TOKENS),
    logits: blocks ? (src, tgtIn) => forward(blocks, params, src, tgtIn).logits : (src, tgtIn) => forwardFast(params, src, tgtIn),
    named: () => namedSeq2SeqVariables(params),
    variables: () => seq2seqVariables(params),
    parameterCount: () => countParameters(seq2seqVariables(params)),
    dispose: () => disposeSeq2Seq(params),
  };
}

/** The g2p-gru task's view of GRU encoder-decoder parameters (any config). */
export function g2pGru(params: GruSeq2SeqParams): G2pTaskModel<GruSeq2SeqParams> {
  return {
    config: params.config, params,
    decoder: gruDecodingModel(params, G2P_TOKENS),
    logits: (src, tgtIn) => gruForwardFast(params, src, tgtIn),
    named: () => namedGruSeq2SeqVariables(params),
    variables: () => gruSeq2SeqVariables(params),
    parameterCount: () => countParameters(gruSeq2SeqVariables(params)),
    dispose: () => disposeGruSeq2Seq(params),
  };
}

/** Mean cross-entropy per target token of `pairs` (teacher forcing), in batches. */
export function g2pLoss(model: G2pTaskModel<unknown>, pairs: readonly G2pPair[], tokensPerBatch = 4000): number {
  let total = 0;
  let count = 0;
  for (const idx of g2pBatches(pairs, tokensPerBatch, 5)) {
    const b = g2pBatch(pairs, idx);
    const n = idx.reduce((s, i) => s + pairs[i].tgt.length + 1, 0);
    total += tf.tidy(() => crossEntropy(model.logits(b.src, b.tgtIn), b.tgtOut, PAD_ID).dataSync()[0]) * n;
    count += n;
    disposeG2pBatch(b);
  }
  return total / count;
}

export interface G2pTrainResult {
  steps: number;
  /** CPU seconds (training only). */
  seconds: number;
  wallSeconds: number;
  /** Real training tokens (source + target) processed. */
  tokens: number;
  losses: number[];
  history: { step: number; seconds: number; loss: number; metrics: Record<string, number> }[];
}

/**
 * Trains with `recipe`: AdamW (the fast path's), the warm-up + cosine schedule, length-grouped
 * batches in a seeded order, epoch after epoch. The clock is CPU time; a live loss curve in a
 * notebook, progress lines on a terminal. `steps` or `timeBudgetSeconds` override the recipe.
 */
export async function trainG2p(model: G2pTaskModel<unknown>, recipe: G2pRecipe, opts: TaskTrainOptions & { steps?: number; timeBudgetSeconds?: number; title?: string } = {}): Promise<G2pTrainResult> {
  const data = g2pData();
  const steps = opts.steps ?? recipe.steps;
  const schedule: number[][] = []; // batches of every epoch so far, in order
  let epochs = 0;
  let epochLength = 1;
  const batchOf = (step: number): number[] => {
    while (schedule.length < step) {
      const epoch = g2pBatches(data.train, recipe.tokensPerBatch, recipe.dataSeed + 2 * epochs++);
      epochLength = epoch.length;
      schedule.push(...epoch);
    }
    return schedule[step - 1];
  };
  let tokens = 0;
  const probe = data.val.slice(0, 512).flatMap((w) => [{ src: w.src, tgt: w.references[0] }]);
  const wall0 = Date.now();
  const result = await trainLoop(model.variables(), (step) => {
    const b = g2pBatch(data.train, batchOf(step));
    tokens += b.tokens;
    return crossEntropy(model.logits(b.src, b.tgtIn), b.tgtOut, PAD_ID);
  }, {
    steps,
    learningRate: g2pSchedule({ ...recipe, steps }),
    optimizer: "adamw",
    weightDecay: recipe.weightDecay,
    clock: "cpu",
    timeBudgetSeconds: opts.timeBudgetSeconds,
    logEvery: recipe.logEvery,
    title: opts.title ?? "G2P training loss",
    evaluate: () => ({ "validation loss": g2pLoss(model, probe) }),
    onLog: (step, loss) => {
      opts.log?.(`step ${step}/${steps}  loss ${loss.toFixed(4)}  epoch ${(step / epochLength).toFixed(2)}`);
    },
  });
  return { steps: result.steps, seconds: result.seconds, wallSeconds: (Date.now() - wall0) / 1000, tokens, losses: result.losses, history: result.history };
}

function evaluateG2p(model: G2pTaskModel<unknown>): Record<string, number> {
  const data = g2pData();
  const val = scoreG2p(model.decoder, data.val);
  const test = scoreG2p(model.decoder, data.test);
  return { "val PER": val.per, "val WER": val.wer, "test PER": test.per, "test WER": test.wer };
}

export type G2pTransformerTaskModel = G2pTaskModel<Seq2SeqModel>;
export type G2pGruTaskModel = G2pTaskModel<GruSeq2SeqParams>;

export const G2P_TASK: Task<G2pTransformerTaskModel> = {
  name: "g2p",
  description: "notebook 06: Transformer encoder-decoder, spelling → phonemes on CMUdict",
  seed: 17,
  create: (seed = 17) => g2pTransformer(createSeq2Seq(undefined, G2P_TRANSFORMER, seed)),
  train: (model, opts) => trainG2p(model, G2P_RECIPE, opts),
  evaluate: evaluateG2p,
};

export const G2P_GRU_TASK: Task<G2pGruTaskModel> = {
  name: "g2p-gru",
  description: "notebook 06: GRU encoder-decoder with one fixed context vector (the baseline)",
  seed: 17,
  create: (seed = 17) => g2pGru(createGruSeq2Seq(G2P_GRU, seed)),
  train: (model, opts) => trainG2p(model, G2P_GRU_RECIPE, opts),
  evaluate: evaluateG2p,
};
