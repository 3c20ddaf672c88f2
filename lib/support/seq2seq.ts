/**
 * Notebook 03's toy task: a small encoder-decoder Transformer learns to reverse a string of
 * digits. The model family itself (createSeq2Seq, encode, decode, forward, …) lives in
 * lib/support/models/seq2seq.ts and is re-exported here, so notebook 03 imports everything it
 * needs from this one module:
 *
 *   const blocks = { ...chooseImpl(mine, reference), causalMask, sinusoidalPositionalEncoding };
 *   const model = createSeq2Seq(blocks, TOY_MODEL, 7);
 *   await trainToyTask(blocks, model);
 *
 * Tokens: the digits 0–9 and BOS = 10, which starts every decoder input. Sequences have one
 * fixed length, so there is no padding and no memory mask.
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderLayerParams, EncoderLayerParams } from "./types";
import { LabInputError } from "./checks";
import { accuracy, crossEntropy, trainLoop, TrainResult } from "./train";
import { seededRandom } from "./random";
import { newDecoderLayer, newEncoderLayer, SeedSequence } from "./models/params";
import { decode, encode, forward, Seq2SeqBlocks, Seq2SeqConfig, Seq2SeqModel, seq2seqVariables } from "./models/seq2seq";

export { countParameters, disposeParams } from "./models/params";
export { createSeq2Seq, decode, disposeSeq2Seq, encode, forward, seq2seqVariables } from "./models/seq2seq";
export type { DecodeResult, EncodeResult, Seq2SeqBlocks, Seq2SeqConfig, Seq2SeqModel } from "./models/seq2seq";
export { seededRandom } from "./random";

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

/**
 * Random weights of one encoder layer (Glorot-normal from `seed`, biases 0, layer norms 1 and 0),
 * for experiments with a single layer. Free them with disposeParams.
 */
export function newEncoderLayerParams(d: number, numHeads: number, dff: number, seed: number): EncoderLayerParams {
  return tf.tidy(() => newEncoderLayer(d, numHeads, dff, new SeedSequence(seed)) as unknown as tf.TensorContainer) as unknown as EncoderLayerParams;
}

/** Random weights of one decoder layer, as newEncoderLayerParams (self- and cross-attention draw different weights). */
export function newDecoderLayerParams(d: number, numHeads: number, dff: number, seed: number): DecoderLayerParams {
  return tf.tidy(() => newDecoderLayer(d, numHeads, dff, new SeedSequence(seed)) as unknown as tf.TensorContainer) as unknown as DecoderLayerParams;
}

/** Mean cross-entropy of the teacher-forced predictions against tgtOut [B, Ty] (a scalar). */
export function seq2seqLoss(blocks: Seq2SeqBlocks, model: Seq2SeqModel, batch: Batch): tf.Scalar {
  return tf.tidy(() => crossEntropy(forward(blocks, model, batch.src, batch.tgtIn).logits, batch.tgtOut));
}

/**
 * Greedy decoding of the toy task: start from BOS, append the most likely digit, repeat `length`
 * times (every output has exactly `length` digits, so there is no end token; exercise 6.1 in
 * notebook 06 is the general one).
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
