/**
 * A small encoder-decoder Transformer and the toy task it learns: reversing a string of digits.
 *
 * The model is assembled from layer functions passed in by the caller, so notebook 03 trains it
 * with the student's own blocks (lib/) and the benchmark with the reference (solutions/):
 *
 *   const blocks = { ...chooseImpl(mine, reference), causalMask, sinusoidalPositionalEncoding };
 *   const model = createSeq2Seq(blocks, TOY_MODEL, 7);
 *   await trainToyTask(blocks, model);
 *
 * Tokens: the digits 0–9 and BOS = 10, which starts every decoder input. Sequences have one
 * fixed length, so there is no padding and no memory mask.
 */
import * as tf from "@tensorflow/tfjs";
import type {
  DecoderLayerParams,
  DecoderLayerResult,
  EncoderLayerParams,
  EncoderLayerResult,
  FeedForwardParams,
  LayerNormParams,
  MultiHeadParams,
} from "./types";
import { fmtShape, LabInputError } from "./checks";
import { accuracy, crossEntropy, embed, glorot, onesVar, trainLoop, TrainResult, zerosVar } from "./train";

/** The functions the model is built from: the student's or the reference, never mixed in here. */
export interface Seq2SeqBlocks {
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps?: number): tf.Tensor;
  encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult;
  decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, selfMask: tf.Tensor, memoryMask?: tf.Tensor): DecoderLayerResult;
  causalMask(n: number): tf.Tensor;
  sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor;
}

export interface Seq2SeqConfig {
  /** Number of token ids (input and output share one vocabulary). */
  vocabSize: number;
  /** Model width. */
  d: number;
  numHeads: number;
  /** Hidden width of the feed-forward networks. */
  dff: number;
  /** Encoder layers, and as many decoder layers. */
  numLayers: number;
  /** Longest sequence the positional table covers. */
  maxLen: number;
}

export interface Seq2SeqModel {
  config: Seq2SeqConfig;
  /** [V, d], shared by encoder input, decoder input and (transposed) the output layer. */
  embedding: tf.Variable;
  /** [V] output bias. */
  outBias: tf.Variable;
  encoder: EncoderLayerParams[];
  decoder: DecoderLayerParams[];
  /** Pre-norm stacks end with one more layer norm: on the memory, and before the output layer. */
  encoderNorm: LayerNormParams;
  decoderNorm: LayerNormParams;
  /** [maxLen, d] sinusoidal positions (a constant, not trained). */
  positions: tf.Tensor;
}

export interface EncodeResult {
  /** [B, Tx, d], after the encoder's final layer norm. */
  memory: tf.Tensor;
  /** One [B, h, Tx, Tx] per encoder layer. */
  selfWeights: tf.Tensor[];
}

export interface DecodeResult {
  /** [B, Ty, V] */
  logits: tf.Tensor;
  /** One [B, h, Ty, Ty] per decoder layer. */
  selfWeights: tf.Tensor[];
  /** One [B, h, Ty, Tx] per decoder layer: decoder positions over encoder positions. */
  crossWeights: tf.Tensor[];
}

export const DIGITS = 10;
export const BOS = 10;
export const TOKEN_NAMES: readonly string[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "<s>"];

/** The model notebook 03 and the toy-task benchmark train. */
export const TOY_MODEL: Seq2SeqConfig = { vocabSize: 11, d: 32, numHeads: 2, dff: 64, numLayers: 1, maxLen: 8 };

/** How the toy task is trained: the same in the notebook and in `npm run bench -- toy-task`. */
export const TOY_TRAINING = {
  length: 8,
  batchSize: 64,
  maxSteps: 600,
  learningRate: 3e-3,
  /** Training batch of step s comes from seed dataSeed + s; validation and test use their own. */
  dataSeed: 1000,
  validationSeed: 17,
  testSeed: 23,
  /** Check teacher-forced accuracy on a validation batch every this many steps, and stop at the target. */
  checkEvery: 25,
  stopAtAccuracy: 0.999,
};

function layerNormParams(d: number): LayerNormParams {
  return { gamma: onesVar([d]), beta: zerosVar([d]) };
}

function attentionParams(d: number, numHeads: number, seed: number): MultiHeadParams {
  return {
    numHeads,
    wq: glorot([d, d], seed), bq: zerosVar([d]),
    wk: glorot([d, d], seed + 1), bk: zerosVar([d]),
    wv: glorot([d, d], seed + 2), bv: zerosVar([d]),
    wo: glorot([d, d], seed + 3), bo: zerosVar([d]),
  };
}

function ffnParams(d: number, dff: number, seed: number): FeedForwardParams {
  return { w1: glorot([d, dff], seed), b1: zerosVar([dff]), w2: glorot([dff, d], seed + 1), b2: zerosVar([d]) };
}

/**
 * Random weights of one encoder layer (Glorot-normal from `seed`, biases 0, layer norms 1 and 0),
 * for experiments with a single layer. Free them with disposeParams.
 */
export function newEncoderLayerParams(d: number, numHeads: number, dff: number, seed: number): EncoderLayerParams {
  let p: EncoderLayerParams | undefined;
  tf.tidy(() => {
    p = { selfAttn: attentionParams(d, numHeads, seed * 10), ffn: ffnParams(d, dff, seed * 10 + 4), norm1: layerNormParams(d), norm2: layerNormParams(d) };
  });
  return p!;
}

/** Random weights of one decoder layer, as newEncoderLayerParams (self- and cross-attention draw different weights). */
export function newDecoderLayerParams(d: number, numHeads: number, dff: number, seed: number): DecoderLayerParams {
  let p: DecoderLayerParams | undefined;
  tf.tidy(() => {
    p = {
      selfAttn: attentionParams(d, numHeads, seed * 10),
      crossAttn: attentionParams(d, numHeads, seed * 10 + 4),
      ffn: ffnParams(d, dff, seed * 10 + 8),
      norm1: layerNormParams(d), norm2: layerNormParams(d), norm3: layerNormParams(d),
    };
  });
  return p!;
}

/** Disposes every tensor inside a (nested) parameter object or array. */
export function disposeParams(params: unknown): void {
  const seen: tf.Tensor[] = [];
  const collect = (x: unknown): void => {
    if (x instanceof tf.Tensor) seen.push(x);
    else if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === "object") Object.values(x).forEach(collect);
  };
  collect(params);
  tf.dispose(seen);
}

/**
 * Fresh parameters, Glorot-normal from `seed` (non-zero): the same seed gives the same model.
 * `blocks` supplies the positional table.
 */
export function createSeq2Seq(blocks: Pick<Seq2SeqBlocks, "sinusoidalPositionalEncoding">, config: Seq2SeqConfig, seed: number): Seq2SeqModel {
  if (!Number.isInteger(seed) || seed === 0) throw new Error(`createSeq2Seq: seed must be a non-zero integer, got ${seed}`);
  const { d, dff, numHeads, numLayers, vocabSize, maxLen } = config;
  if (d % numHeads !== 0) throw new Error(`createSeq2Seq: d = ${d} must be divisible by numHeads = ${numHeads}`);
  let s = seed * 1000; // each weight matrix draws from its own seed
  const next = (k: number) => ((s += k), s - k);
  const encoder: EncoderLayerParams[] = [];
  const decoder: DecoderLayerParams[] = [];
  let embedding: tf.Variable | undefined;
  let outBias: tf.Variable | undefined;
  let encoderNorm: LayerNormParams | undefined;
  let decoderNorm: LayerNormParams | undefined;
  // tf.variable keeps its initial value alive as a second tensor; the tidy frees those copies
  // (variables themselves survive a tidy).
  tf.tidy(() => {
    for (let i = 0; i < numLayers; i++) {
      encoder.push({ selfAttn: attentionParams(d, numHeads, next(4)), ffn: ffnParams(d, dff, next(2)), norm1: layerNormParams(d), norm2: layerNormParams(d) });
    }
    for (let i = 0; i < numLayers; i++) {
      decoder.push({
        selfAttn: attentionParams(d, numHeads, next(4)),
        crossAttn: attentionParams(d, numHeads, next(4)),
        ffn: ffnParams(d, dff, next(2)),
        norm1: layerNormParams(d), norm2: layerNormParams(d), norm3: layerNormParams(d),
      });
    }
    embedding = tf.variable(tf.randomNormal([vocabSize, d], 0, 1 / Math.sqrt(d), "float32", next(1)), true);
    outBias = zerosVar([vocabSize]);
    encoderNorm = layerNormParams(d);
    decoderNorm = layerNormParams(d);
  });
  return {
    config,
    embedding: embedding!,
    outBias: outBias!,
    encoder,
    decoder,
    encoderNorm: encoderNorm!,
    decoderNorm: decoderNorm!,
    positions: tf.tidy(() => blocks.sinusoidalPositionalEncoding(maxLen, d)),
  };
}

/** Every trainable tensor of the model (what the optimiser updates). */
export function seq2seqVariables(model: Seq2SeqModel): tf.Variable[] {
  const out: tf.Variable[] = [];
  const collect = (x: unknown): void => {
    if (x instanceof tf.Variable) out.push(x);
    else if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === "object" && !(x instanceof tf.Tensor)) Object.values(x).forEach(collect);
  };
  collect([model.embedding, model.outBias, model.encoder, model.decoder, model.encoderNorm, model.decoderNorm]);
  return out;
}

/** Number of trained numbers in the model. */
export function countParameters(model: Seq2SeqModel): number {
  return seq2seqVariables(model).reduce((n, v) => n + v.size, 0);
}

/** Frees every tensor of the model. */
export function disposeSeq2Seq(model: Seq2SeqModel): void {
  tf.dispose([...seq2seqVariables(model), model.positions]);
}

function checkIds(fn: string, name: string, ids: tf.Tensor, model: Seq2SeqModel): void {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new LabInputError(`${fn}: ${name} must be int32 [B, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  if ((ids.shape[1] as number) > model.config.maxLen) {
    throw new LabInputError(`${fn}: ${name} ${fmtShape(ids.shape)} is longer than the model's maxLen = ${model.config.maxLen}`);
  }
}

/** Token embeddings scaled by √d plus positions: ids [B, T] → [B, T, d]. */
function embedTokens(model: Seq2SeqModel, ids: tf.Tensor): tf.Tensor {
  const t = ids.shape[1] as number;
  const pos = model.positions.slice([0, 0], [t, model.config.d]); // [T, d]
  return tf.add(tf.mul(embed(model.embedding, ids), Math.sqrt(model.config.d)), pos);
}

/** Runs the encoder over source ids [B, Tx]. */
export function encode(blocks: Seq2SeqBlocks, model: Seq2SeqModel, src: tf.Tensor): EncodeResult {
  checkIds("encode", "src", src, model);
  return tf.tidy(() => {
    let x = embedTokens(model, src); // [B, Tx, d]
    const selfWeights: tf.Tensor[] = [];
    for (const layer of model.encoder) {
      const r = blocks.encoderLayer(layer, x);
      x = r.output;
      selfWeights.push(r.selfWeights);
    }
    const memory = blocks.layerNorm(x, model.encoderNorm.gamma, model.encoderNorm.beta);
    return { memory, selfWeights };
  });
}

/**
 * Runs the decoder over target-side ids [B, Ty] (BOS first) against `memory` [B, Tx, d].
 * Position i of the logits predicts token i + 1 of the decoder input, i.e. output token i.
 * `causal: false` drops the self-attention mask (only for demonstrating what the mask does).
 */
export function decode(blocks: Seq2SeqBlocks, model: Seq2SeqModel, memory: tf.Tensor, tgtIn: tf.Tensor, opts: { causal?: boolean } = {}): DecodeResult {
  checkIds("decode", "tgtIn", tgtIn, model);
  return tf.tidy(() => {
    const ty = tgtIn.shape[1] as number;
    const selfMask = opts.causal === false ? tf.ones([ty, ty]) : blocks.causalMask(ty); // [Ty, Ty]
    let y = embedTokens(model, tgtIn); // [B, Ty, d]
    const selfWeights: tf.Tensor[] = [];
    const crossWeights: tf.Tensor[] = [];
    for (const layer of model.decoder) {
      const r = blocks.decoderLayer(layer, y, memory, selfMask);
      y = r.output;
      selfWeights.push(r.selfWeights);
      crossWeights.push(r.crossWeights);
    }
    const [b, , d] = y.shape as number[];
    const h = blocks.layerNorm(y, model.decoderNorm.gamma, model.decoderNorm.beta).reshape([b * ty, d]);
    // The output layer reuses the embedding table (weight tying): logits = h · Eᵀ + b.
    const logits = tf.add(tf.matMul(h, model.embedding, false, true), model.outBias).reshape([b, ty, model.config.vocabSize]);
    return { logits, selfWeights, crossWeights };
  });
}

/** Teacher-forced forward pass: source [B, Tx] and decoder input [B, Ty] → logits [B, Ty, V] and the attention maps. */
export function forward(blocks: Seq2SeqBlocks, model: Seq2SeqModel, src: tf.Tensor, tgtIn: tf.Tensor, opts: { causal?: boolean } = {}): DecodeResult & { encoderSelfWeights: tf.Tensor[] } {
  return tf.tidy(() => {
    const { memory, selfWeights } = encode(blocks, model, src);
    return { ...decode(blocks, model, memory, tgtIn, opts), encoderSelfWeights: selfWeights };
  });
}

/** Mean cross-entropy of the teacher-forced predictions against tgtOut [B, Ty] (a scalar). */
export function seq2seqLoss(blocks: Seq2SeqBlocks, model: Seq2SeqModel, batch: Batch): tf.Scalar {
  return tf.tidy(() => crossEntropy(forward(blocks, model, batch.src, batch.tgtIn).logits, batch.tgtOut));
}

/**
 * Greedy decoding: start from BOS, append the most likely token, repeat `length` times.
 * Encodes the source once; each step re-runs the decoder on the prefix (no cache: it is short).
 * src [B, Tx] → [B, length] int32.
 */
export function greedyDecode(blocks: Seq2SeqBlocks, model: Seq2SeqModel, src: tf.Tensor, length: number): tf.Tensor {
  if (!Number.isInteger(length) || length < 1 || length > model.config.maxLen) {
    throw new LabInputError(`greedyDecode: length must be an integer in [1, ${model.config.maxLen}], got ${length}`);
  }
  return tf.tidy(() => {
    const b = src.shape[0];
    const { memory } = encode(blocks, model, src);
    let prefix: tf.Tensor = tf.fill([b, 1], BOS, "int32"); // [B, 1 + steps so far]
    for (let step = 0; step < length; step++) {
      const { logits } = decode(blocks, model, memory, prefix); // [B, step + 1, V]
      const last = logits.slice([0, step, 0], [b, 1, DIGITS]); // only digits are valid outputs
      prefix = tf.concat([prefix, tf.cast(tf.argMax(last, -1), "int32")], 1);
    }
    return prefix.slice([0, 1], [b, length]);
  });
}

export interface Batch {
  /** [B, T] the digit strings. */
  src: tf.Tensor;
  /** [B, T] BOS followed by all but the last output token. */
  tgtIn: tf.Tensor;
  /** [B, T] the reversed strings. */
  tgtOut: tf.Tensor;
  /** The same strings as plain arrays, for printing. */
  strings: number[][];
}

/** A small, fast, seeded generator (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A batch of the reverse task: `batchSize` random strings of `length` digits (seeded) and their
 * reversals, laid out for teacher forcing. `reverse: false` gives the copy task instead.
 */
export function reverseBatch(batchSize: number, length: number, seed: number, opts: { reverse?: boolean } = {}): Batch {
  if (!Number.isInteger(seed) || seed === 0) throw new Error(`reverseBatch: seed must be a non-zero integer, got ${seed}`);
  const rand = seededRandom(seed);
  const strings = Array.from({ length: batchSize }, () => Array.from({ length }, () => Math.floor(rand() * DIGITS)));
  const outputs = strings.map((s) => (opts.reverse === false ? [...s] : [...s].reverse()));
  return {
    src: tf.tensor2d(strings, [batchSize, length], "int32"),
    tgtIn: tf.tensor2d(outputs.map((o) => [BOS, ...o.slice(0, -1)]), [batchSize, length], "int32"),
    tgtOut: tf.tensor2d(outputs, [batchSize, length], "int32"),
    strings,
  };
}

export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.src, batch.tgtIn, batch.tgtOut]);
}

/** Token accuracy with teacher forcing (each position sees the true prefix). */
export function teacherForcedAccuracy(blocks: Seq2SeqBlocks, model: Seq2SeqModel, batch: Batch): number {
  return tf.tidy(() => accuracy(forward(blocks, model, batch.src, batch.tgtIn).logits, batch.tgtOut));
}

/** Token and whole-string accuracy of greedy decoding (the model feeds itself its own outputs). */
export function greedyAccuracy(blocks: Seq2SeqBlocks, model: Seq2SeqModel, batch: Batch): { token: number; sequence: number } {
  const predicted = tf.tidy(() => greedyDecode(blocks, model, batch.src, batch.tgtOut.shape[1] as number));
  const p = predicted.arraySync() as number[][];
  const t = batch.tgtOut.arraySync() as number[][];
  predicted.dispose();
  let tokens = 0;
  let sequences = 0;
  p.forEach((row, i) => {
    const hits = row.filter((v, j) => v === t[i][j]).length;
    tokens += hits;
    if (hits === row.length) sequences++;
  });
  return { token: tokens / (p.length * p[0].length), sequence: sequences / p.length };
}

export interface ToyTaskResult extends TrainResult {
  /** Greedy-decoding accuracy on 500 unseen strings. */
  tokenAccuracy: number;
  sequenceAccuracy: number;
}

/**
 * Trains `model` on the reverse task with the TOY_TRAINING recipe (live loss curve in a notebook),
 * stopping early once the validation batch is (almost) solved, then measures greedy decoding
 * on a test batch. `seconds` counts training only.
 */
export async function trainToyTask(
  blocks: Seq2SeqBlocks,
  model: Seq2SeqModel,
  overrides: Partial<typeof TOY_TRAINING> & { title?: string } = {},
): Promise<ToyTaskResult> {
  const cfg = { ...TOY_TRAINING, ...overrides };
  const validation = reverseBatch(256, cfg.length, cfg.validationSeed);
  let valAcc = 0;
  try {
    const result = await trainLoop(
      seq2seqVariables(model),
      // trainLoop frees the batch with the step's other tensors.
      (step) => seq2seqLoss(blocks, model, reverseBatch(cfg.batchSize, cfg.length, cfg.dataSeed + step)),
      {
        steps: cfg.maxSteps,
        learningRate: cfg.learningRate,
        logEvery: cfg.checkEvery,
        title: cfg.title ?? "Reversing digit strings: training loss",
        onLog: () => {
          valAcc = teacherForcedAccuracy(blocks, model, validation);
          return `validation token accuracy ${(100 * valAcc).toFixed(1)}%`;
        },
        stopWhen: () => valAcc >= cfg.stopAtAccuracy,
      },
    );
    const test = reverseBatch(500, cfg.length, cfg.testSeed);
    const acc = greedyAccuracy(blocks, model, test);
    disposeBatch(test);
    return { ...result, tokenAccuracy: acc.token, sequenceAccuracy: acc.sequence };
  } finally {
    disposeBatch(validation);
  }
}
