/**
 * An encoder-only (BERT-style) Transformer: token and learned position embeddings, a stack of
 * pre-norm encoder layers with no causal mask (padding keys hidden), a final layer norm, and two
 * heads on top of the same encoder:
 *
 *   (B, T) ids → embed (B, T, d) → N × encoder layer → LN → hidden (B, T, d)
 *     MLM head:        hidden → relu(h·W + b) → LN → ·Eᵀ + bias → (…, V) logits   (E = the token embedding: tied)
 *     classifier head: hidden[:, 0] ([CLS]) → tanh(·W + b) → ·W' + b' → (B, C) logits
 *
 * Two ways to run the same parameters:
 * - …From(blocks, params, …): built from the exercise functions passed in (the student's lib/ or
 *   the reference solutions/: encoderForward 4.4, clsPool 4.2, classifierHead 4.3, layerNorm 3.1),
 *   differentiated by tfjs: readable, slow.
 * - …Fast(params, …): the fast path (lib/support/fast), the same maths several times faster.
 * The agreement tests (tests/unit/bert-model.test.ts) check both give the same logits, losses
 * and gradients. Padding is recognised by its id: every position holding PAD_ID is a padded key.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { encoderLayer as fastEncoderLayer } from "../fast/layers";
import { randu } from "../random";
import { PAD_ID } from "../tokenizers";
import { crossEntropy, glorot, zerosVar } from "../train";
import { IGNORE_INDEX } from "../types";
import type { ClassifierHeadParams, DenseParams, EncoderParams, EncoderResult, LayerNormParams } from "../types";
import { NamedVariable, namedVariables, newEncoderLayer, newLayerNormParams, SeedSequence, variablesOf } from "./params";

export interface BertConfig {
  vocabSize: number;
  /** Longest input, specials included (the position table's length). */
  context: number;
  /** Model width. */
  d: number;
  numHeads: number;
  /** Hidden width of the feed-forward networks. */
  dff: number;
  numLayers: number;
  /** Classes of the classifier head (2: ham, spam). */
  numClasses: number;
}

/** The MLM head; its output matrix is the token embedding (tied weights, as in BERT). */
export interface MlmHeadParams {
  /** w [d, d], b [d]: a relu layer before the output (BERT uses GELU). */
  transform: DenseParams;
  norm: LayerNormParams;
  /** [V]: the output bias. */
  bias: tf.Tensor;
}

export interface BertParams {
  config: BertConfig;
  encoder: EncoderParams;
  mlm: MlmHeadParams;
  classifier: ClassifierHeadParams;
}

/** The parts of a BertParams that are trained (and saved) together. */
export type BertPart = "encoder" | "mlm" | "classifier";
export const BERT_PARTS: readonly BertPart[] = ["encoder", "mlm", "classifier"];

/** The exercise functions the plain forward passes are built from. */
export interface BertBlocks {
  encoderForward(params: EncoderParams, ids: tf.Tensor, paddingMask?: tf.Tensor): EncoderResult;
  clsPool(hidden: tf.Tensor): tf.Tensor;
  classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor;
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps?: number): tf.Tensor;
}

/** Fresh parameters (seeded, non-zero seed): embeddings N(0, 0.02²), matrices Glorot-normal, biases 0. */
export function createBert(config: BertConfig, seed: number): BertParams {
  const { vocabSize, context, d, numHeads, dff, numLayers, numClasses } = config;
  if (d % numHeads !== 0) throw new LabInputError(`createBert: d = ${d} must be divisible by numHeads = ${numHeads}`);
  const seeds = new SeedSequence(seed);
  return tf.tidy(() => {
    const normal = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.02, "float32", seeds.take()));
    const dense = (din: number, dout: number) => ({ w: glorot([din, dout], seeds.take()), b: zerosVar([dout]) });
    const encoder: EncoderParams = {
      tokenEmbedding: normal([vocabSize, d]),
      positionEmbedding: normal([context, d]),
      layers: Array.from({ length: numLayers }, () => newEncoderLayer(d, numHeads, dff, seeds)),
      finalNorm: newLayerNormParams(d),
    };
    const mlm: MlmHeadParams = { transform: dense(d, d), norm: newLayerNormParams(d), bias: zerosVar([vocabSize]) };
    const classifier: ClassifierHeadParams = { pooler: dense(d, d), output: dense(d, numClasses) };
    return { config, encoder, mlm, classifier } as unknown as tf.TensorContainer;
  }) as unknown as BertParams;
}

/** The trained tensors of the chosen parts, in a fixed order. */
export function bertVariables(params: BertParams, parts: readonly BertPart[] = BERT_PARTS): tf.Variable[] {
  return variablesOf(parts.map((p) => params[p]));
}

/** The chosen parts' tensors with stable names ("encoder.layers.0.selfAttn.wq", "classifier.output.w", …). */
export function namedBertVariables(params: BertParams, parts: readonly BertPart[] = BERT_PARTS): NamedVariable[] {
  return namedVariables(Object.fromEntries(parts.map((p) => [p, params[p]])));
}

export function disposeBert(params: BertParams): void {
  tf.dispose(bertVariables(params));
}

/** Copies the values of `from`'s chosen parts into `to`'s (same config): fine-tuning starts from a pre-trained encoder. */
export function copyBertWeights(from: BertParams, to: BertParams, parts: readonly BertPart[] = ["encoder"]): void {
  if (JSON.stringify(from.config) !== JSON.stringify(to.config)) {
    throw new LabInputError(`copyBertWeights: configs differ: ${JSON.stringify(from.config)} vs ${JSON.stringify(to.config)}`);
  }
  const src = bertVariables(from, parts);
  bertVariables(to, parts).forEach((v, i) => v.assign(src[i]));
}

function checkIds(fn: string, params: BertParams, ids: tf.Tensor): void {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new LabInputError(`${fn}: ids must be an int32 tensor [B, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  const t = ids.shape[1] as number;
  if (t < 1 || t > params.config.context) {
    throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} must have 1 to ${params.config.context} positions (the model's context); encode with encodeBatch(…, { contextLength: ${params.config.context} })`);
  }
}

/** [B, T] float32: 1 where ids hold a token, 0 where they hold PAD_ID (the keys attention must skip). */
export function keyValidOf(ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.notEqual(ids, PAD_ID), "float32"));
}

// ---------------------------------------------------------------------------------------------
// Built from the exercise functions

/** The encoder's output and attention weights, through blocks.encoderForward, padding masked. */
export function bertEncodeFrom(blocks: BertBlocks, params: BertParams, ids: tf.Tensor): EncoderResult {
  checkIds("bertEncodeFrom", params, ids);
  const [b, t] = ids.shape as number[];
  return tf.tidy(() => {
    const mask = tf.reshape(keyValidOf(ids), [b, 1, t]); // paddingMask's form, [B, 1, T]
    return blocks.encoderForward(params.encoder, ids, mask) as unknown as tf.TensorContainer;
  }) as unknown as EncoderResult;
}

/** MLM logits [..., V] of hidden vectors [..., d] (all positions, or rows picked from them). */
export function mlmLogitsFrom(blocks: BertBlocks, params: BertParams, hidden: tf.Tensor): tf.Tensor {
  const { d, vocabSize } = params.config;
  return tf.tidy(() => {
    const rows = tf.reshape(hidden, [-1, d]);
    const h = tf.relu(tf.add(tf.matMul(rows, params.mlm.transform.w), params.mlm.transform.b));
    const n = blocks.layerNorm(h, params.mlm.norm.gamma, params.mlm.norm.beta);
    const logits = tf.add(tf.matMul(n, params.encoder.tokenEmbedding, false, true), params.mlm.bias); // tied: ·Eᵀ
    return tf.reshape(logits, [...hidden.shape.slice(0, -1), vocabSize]);
  });
}

/** Mean MLM cross-entropy over the positions whose label is not IGNORE_INDEX (labels as mlmMask returns them). */
export function mlmLossFrom(blocks: BertBlocks, params: BertParams, inputs: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => crossEntropy(mlmLogitsFrom(blocks, params, bertEncodeFrom(blocks, params, inputs).output), labels, IGNORE_INDEX));
}

/** Class logits [B, C]: classifierHead(clsPool(encoder output)). */
export function classifyFrom(blocks: BertBlocks, params: BertParams, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => blocks.classifierHead(params.classifier, blocks.clsPool(bertEncodeFrom(blocks, params, ids).output)));
}

// ---------------------------------------------------------------------------------------------
// The fast path, on the same parameters

/** The encoder's output and attention weights on the fast path. */
export function bertEncodeFast(params: BertParams, ids: tf.Tensor): EncoderResult {
  checkIds("bertEncodeFast", params, ids);
  const t = ids.shape[1] as number;
  const { d } = params.config;
  const enc = params.encoder;
  return tf.tidy(() => {
    const keyValid = keyValidOf(ids);
    let x = tf.add(fast.embedding(enc.tokenEmbedding, ids), tf.slice(enc.positionEmbedding, [0, 0], [t, d]));
    const weights: tf.Tensor[] = [];
    for (const layer of enc.layers) {
      const r = fastEncoderLayer(layer, x, { keyValid });
      x = r.output;
      weights.push(r.selfWeights);
    }
    return { output: fast.layerNorm(x, enc.finalNorm.gamma, enc.finalNorm.beta), weights } as unknown as tf.TensorContainer;
  }) as unknown as EncoderResult;
}

/** MLM logits [..., V] of hidden vectors [..., d] on the fast path. */
export function mlmLogitsFast(params: BertParams, hidden: tf.Tensor): tf.Tensor {
  const { d, vocabSize } = params.config;
  return tf.tidy(() => {
    const rows = tf.reshape(hidden, [-1, d]);
    const h = fast.linear(rows, params.mlm.transform.w, params.mlm.transform.b, { relu: true });
    const n = fast.layerNorm(h, params.mlm.norm.gamma, params.mlm.norm.beta);
    const logits = tf.add(fast.matMul(n, params.encoder.tokenEmbedding, false, true), params.mlm.bias);
    return tf.reshape(logits, [...hidden.shape.slice(0, -1), vocabSize]);
  });
}

/**
 * The same loss as mlmLossFrom on the fast path, with the output layer run only at the scored
 * positions (about 15% of them: the [V]-wide product is most of an MLM step's work otherwise).
 * Reads the labels back once to find those positions.
 */
export function mlmLossFast(params: BertParams, inputs: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (!(labels instanceof tf.Tensor) || labels.dtype !== "int32" || fmtShape(labels.shape) !== fmtShape(inputs.shape)) {
    throw new LabInputError(`mlmLossFast: labels must be int32 with the shape of inputs ${fmtShape(inputs.shape)}, got ${labels instanceof tf.Tensor ? `${labels.dtype} ${fmtShape(labels.shape)}` : typeof labels}`);
  }
  const flat = labels.dataSync();
  const positions: number[] = [];
  const targets: number[] = [];
  for (let i = 0; i < flat.length; i++) {
    if (flat[i] !== IGNORE_INDEX) {
      positions.push(i);
      targets.push(flat[i]);
    }
  }
  if (positions.length === 0) {
    // Nothing to score: loss 0, through the whole graph (every variable gets a zero gradient).
    positions.push(0);
    targets.push(IGNORE_INDEX);
  }
  return tf.tidy(() => {
    const hidden = bertEncodeFast(params, inputs).output;
    const rows = fast.embedding(tf.reshape(hidden, [-1, params.config.d]), tf.tensor1d(positions, "int32")); // the scored rows, with a gradient
    return fast.crossEntropy(mlmLogitsFast(params, rows), tf.tensor1d(targets, "int32"), IGNORE_INDEX);
  });
}

/** Class logits [B, C] on the fast path. */
export function classifyFast(params: BertParams, ids: tf.Tensor): tf.Tensor {
  const { d } = params.config;
  const head = params.classifier;
  return tf.tidy(() => {
    const hidden = bertEncodeFast(params, ids).output;
    const cls = tf.reshape(tf.slice(hidden, [0, 0, 0], [hidden.shape[0] as number, 1, d]), [-1, d]); // [B, d]
    const pooled = tf.tanh(fast.linear(cls, head.pooler.w, head.pooler.b));
    return fast.linear(pooled, head.output.w, head.output.b);
  });
}

// ---------------------------------------------------------------------------------------------
// What the notebook looks at

/** How to run the model: through the exercise functions given, or on the fast path. */
export type BertRunner = BertBlocks | "fast";

function encodeWith(runner: BertRunner, params: BertParams, ids: tf.Tensor): EncoderResult {
  return runner === "fast" ? bertEncodeFast(params, ids) : bertEncodeFrom(runner, params, ids);
}

/** Class probabilities [rows][C] of a batch of ids, read back. */
export function classProbabilities(runner: BertRunner, params: BertParams, ids: tf.Tensor): number[][] {
  const probabilities = tf.tidy(() => tf.softmax(runner === "fast" ? classifyFast(params, ids) : classifyFrom(runner, params, ids)));
  try {
    return probabilities.arraySync() as number[][];
  } finally {
    probabilities.dispose();
  }
}

export interface TokenGuess {
  id: number;
  probability: number;
}

/**
 * The model's k most likely tokens at each of `positions` of one sequence `ids` (which should
 * hold [MASK] there), most likely first.
 */
export function topMlmGuesses(runner: BertRunner, params: BertParams, ids: readonly number[], positions: readonly number[], k = 5): TokenGuess[][] {
  const t = ids.length;
  positions.forEach((p) => {
    if (!Number.isInteger(p) || p < 0 || p >= t) throw new LabInputError(`topMlmGuesses: position ${p} is outside the sequence of ${t} ids`);
  });
  if (!Number.isInteger(k) || k < 1 || k > params.config.vocabSize) throw new LabInputError(`topMlmGuesses: k must be an integer in [1, ${params.config.vocabSize}], got ${k}`);
  if (positions.length === 0) return [];
  const { values, indices } = tf.tidy(() => {
    const input = tf.tensor2d([...ids], [1, t], "int32");
    const hidden = tf.reshape(encodeWith(runner, params, input).output, [t, params.config.d]);
    const rows = tf.gather(hidden, tf.tensor1d([...positions], "int32"));
    const logits = runner === "fast" ? mlmLogitsFast(params, rows) : mlmLogitsFrom(runner, params, rows);
    return tf.topk(tf.softmax(logits), k);
  });
  const p = values.arraySync() as number[][];
  const id = indices.arraySync() as number[][];
  tf.dispose([values, indices]);
  return p.map((row, i) => row.map((probability, j) => ({ id: id[i][j], probability })));
}

/**
 * What [CLS] (position 0) attends to in one sequence: weights[layer][head][j] for the first
 * `length` positions j (the real tokens; padding gets 0).
 */
export function clsAttention(runner: BertRunner, params: BertParams, ids: readonly number[]): number[][][] {
  const t = ids.length;
  const weights = tf.tidy(() => {
    const { weights: perLayer } = encodeWith(runner, params, tf.tensor2d([...ids], [1, t], "int32"));
    return tf.stack(perLayer.map((w) => tf.slice(w, [0, 0, 0, 0], [1, -1, 1, t]).reshape([-1, t]))); // [L, h, T]
  });
  const out = weights.arraySync() as number[][][];
  weights.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Masking for the training pipeline

export interface MaskedIds {
  inputs: Int32Array;
  labels: Int32Array;
}

/**
 * The masking of exercise 4.1 (solutions' mlmMask) on plain arrays, for the training pipeline:
 * the same seeded draws (randu(shape, seed), seed + 1, seed + 2, read back) and the same rule, so
 * the result is identical (tests/unit/bert.test.ts checks it). ids: [rows · T] row-major.
 */
export function mlmMaskIds(ids: Int32Array, shape: [number, number], opts: { maskId: number; vocabSize: number; rate?: number; seed: number; specialIds: readonly number[] }): MaskedIds {
  const rate = Math.fround(opts.rate ?? 0.15);
  if (ids.length !== shape[0] * shape[1]) throw new LabInputError(`mlmMaskIds: ${ids.length} ids for shape ${fmtShape(shape)}`);
  if (!Number.isInteger(opts.seed) || opts.seed < 1) throw new LabInputError(`mlmMaskIds: seed must be a positive integer, got ${opts.seed}`);
  const special = new Set(opts.specialIds);
  const excluded = new Set([...opts.specialIds, opts.maskId]);
  const regular: number[] = [];
  for (let id = 0; id < opts.vocabSize; id++) if (!excluded.has(id)) regular.push(id);
  const n = regular.length;
  const draw = (seed: number): Float32Array => {
    const t = randu(shape, seed);
    const values = Float32Array.from(t.dataSync());
    t.dispose();
    return values;
  };
  const [u, a, r] = [draw(opts.seed), draw(opts.seed + 1), draw(opts.seed + 2)];
  const inputs = Int32Array.from(ids);
  const labels = new Int32Array(ids.length).fill(IGNORE_INDEX);
  const lo = Math.fround(0.8);
  const hi = Math.fround(0.9);
  for (let i = 0; i < ids.length; i++) {
    if (!(u[i] < rate) || special.has(ids[i])) continue;
    labels[i] = ids[i];
    if (a[i] < lo) inputs[i] = opts.maskId;
    else if (a[i] < hi) inputs[i] = regular[Math.min(Math.floor(Math.fround(r[i] * n)), n - 1)];
  }
  return { inputs, labels };
}
