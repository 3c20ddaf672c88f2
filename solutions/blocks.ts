/**
 * Reference solutions for notebook 03 (encoder and decoder blocks).
 *
 * Layers are pre-norm: x + Sublayer(LayerNorm(x)). The original Transformer was post-norm,
 * LayerNorm(x + Sublayer(x)); pre-norm keeps an untouched residual path from input to output,
 * which trains stably without learning-rate warm-up (GPT-2 and most later models use it).
 * Notebook 03 shows both.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor, within } from "../lib/support/checks";
import { batchMatMul } from "../lib/support/ops";
import { multiHeadAttention } from "./multihead";
import type { LayerNormParams, FeedForwardParams, EncoderLayerParams, DecoderLayerParams, EncoderLayerResult, DecoderLayerResult } from "../lib/support/types";
export type { LayerNormParams, FeedForwardParams, EncoderLayerParams, DecoderLayerParams, EncoderLayerResult, DecoderLayerResult } from "../lib/support/types";

/**
 * Exercise 3.1: normalise each position's features (the last axis) to mean 0 and variance 1,
 * then scale and shift: gamma · (x − mean) / sqrt(var + eps) + beta. The variance is the
 * biased one (divide by d, not d − 1), as in PyTorch's nn.LayerNorm.
 * x: [..., d], gamma and beta: [d].
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const fn = "layerNorm";
  requireTensor(fn, "x", x, { minRank: 1, dtypes: ["float32"], pattern: "[..., d]" });
  const d = x.shape[x.rank - 1];
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    requireTensor(fn, name, t, { rank: 1, dtypes: ["float32"], pattern: "[d]" });
    if (t.shape[0] !== d) throw new LabInputError(`${fn}: ${name} ${fmtShape(t.shape)} must be [d] = [${d}] for x ${fmtShape(x.shape)}`);
  }
  if (!(typeof eps === "number" && eps >= 0)) throw new LabInputError(`${fn}: argument "eps" must be a number >= 0, got ${eps}`);
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // [..., 1] each; biased variance
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}

function checkFfn(fn: string, p: FeedForwardParams, d: number): void {
  if (typeof p !== "object" || p === null) throw new LabInputError(`${fn}: argument "params" must be an object with w1, b1, w2, b2`);
  const w1 = requireTensor(fn, "params.w1", p.w1, { rank: 2, dtypes: ["float32"], pattern: "[d, dff]" });
  const dff = w1.shape[1] as number;
  const expected: Record<string, number[]> = { w1: [d, dff], b1: [dff], w2: [dff, d], b2: [d] };
  for (const name of ["w1", "b1", "w2", "b2"] as const) {
    const t = requireTensor(fn, `params.${name}`, p[name], { rank: expected[name].length, dtypes: ["float32"] });
    if (t.shape.some((s, i) => s !== expected[name][i])) {
      throw new LabInputError(`${fn}: params.${name} ${fmtShape(t.shape)} must be ${fmtShape(expected[name])} (d = ${d} from x, dff = ${dff} from w1)`);
    }
  }
}

/**
 * Exercise 3.2: the position-wise feed-forward network, the same two-layer MLP applied to
 * every position on its own: relu(x·w1 + b1)·w2 + b2. x: [B, T, d] → [B, T, d].
 */
export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  const fn = "feedForward";
  requireTensor(fn, "x", x, { rank: 3, dtypes: ["float32"], pattern: "[B, T, d]" });
  const [b, t, d] = x.shape as number[];
  checkFfn(fn, params, d);
  return tf.tidy(() => {
    const rows = tf.reshape(x, [1, b * t, d]); // every position is an independent row
    const hidden = tf.relu(tf.add(batchMatMul(rows, tf.expandDims(params.w1, 0)), params.b1)); // [1, B·T, dff]
    const out = tf.add(batchMatMul(hidden, tf.expandDims(params.w2, 0)), params.b2); // [1, B·T, d]
    return tf.reshape(out, [b, t, d]);
  });
}

/**
 * Exercise 3.3: one pre-norm encoder layer.
 *   a = x + SelfAttention(LN1(x))          (queries, keys and values all from LN1(x); mask optional, e.g. padding)
 *   output = a + FeedForward(LN2(a))
 * x: [B, T, d]; mask broadcastable to [B, T, T] (e.g. paddingMask's [B, 1, T]).
 */
export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  requireTensor("encoderLayer", "x", x, { rank: 3, dtypes: ["float32"], pattern: "[B, T, d]" });
  if (typeof params !== "object" || params === null) throw new LabInputError(`encoderLayer: argument "params" must be an object with selfAttn, ffn, norm1, norm2`);
  const fn = "encoderLayer";
  return tf.tidy(() => {
    const n1 = within(fn, "params.norm1", () => layerNorm(x, params.norm1.gamma, params.norm1.beta));
    const attn = within(fn, "params.selfAttn", () => multiHeadAttention(params.selfAttn, n1, n1, mask));
    const a = tf.add(x, attn.output);
    const n2 = within(fn, "params.norm2", () => layerNorm(a, params.norm2.gamma, params.norm2.beta));
    const output = tf.add(a, within(fn, "params.ffn", () => feedForward(params.ffn, n2)));
    return { output, selfWeights: attn.weights };
  });
}

/**
 * Exercise 3.4: one pre-norm decoder layer.
 *   a = y + SelfAttention(LN1(y), selfMask)             (masked: position i sees only j <= i)
 *   c = a + CrossAttention(queries LN2(a), keys and values from memory, memoryMask)
 *   output = c + FeedForward(LN3(c))
 * y: [B, Ty, d] (the decoder's input so far), memory: [B, Tx, d] (the encoder's output),
 * selfMask broadcastable to [B, Ty, Ty] (usually causalMask(Ty)), memoryMask broadcastable to
 * [B, Ty, Tx] (usually the source padding mask [B, 1, Tx]).
 */
export function decoderLayer(
  params: DecoderLayerParams,
  y: tf.Tensor,
  memory: tf.Tensor,
  selfMask: tf.Tensor,
  memoryMask?: tf.Tensor,
): DecoderLayerResult {
  const fn = "decoderLayer";
  requireTensor(fn, "y", y, { rank: 3, dtypes: ["float32"], pattern: "[B, Ty, d]" });
  requireTensor(fn, "memory", memory, { rank: 3, dtypes: ["float32"], pattern: "[B, Tx, d]" });
  if (memory.shape[0] !== y.shape[0] || memory.shape[2] !== y.shape[2]) {
    throw new LabInputError(`${fn}: memory ${fmtShape(memory.shape)} must have the batch size and width of y ${fmtShape(y.shape)}`);
  }
  requireTensor(fn, "selfMask", selfMask, { pattern: "(usually causalMask(Ty))" });
  if (typeof params !== "object" || params === null) throw new LabInputError(`${fn}: argument "params" must be an object with selfAttn, crossAttn, ffn, norm1, norm2, norm3`);
  return tf.tidy(() => {
    const n1 = within(fn, "params.norm1", () => layerNorm(y, params.norm1.gamma, params.norm1.beta));
    const self = within(fn, "params.selfAttn, selfMask", () => multiHeadAttention(params.selfAttn, n1, n1, selfMask));
    const a = tf.add(y, self.output);
    const n2 = within(fn, "params.norm2", () => layerNorm(a, params.norm2.gamma, params.norm2.beta));
    const cross = within(fn, "params.crossAttn, memoryMask", () => multiHeadAttention(params.crossAttn, n2, memory, memoryMask));
    const c = tf.add(a, cross.output);
    const n3 = within(fn, "params.norm3", () => layerNorm(c, params.norm3.gamma, params.norm3.beta));
    const output = tf.add(c, within(fn, "params.ffn", () => feedForward(params.ffn, n3)));
    return { output, selfWeights: self.weights, crossWeights: cross.weights };
  });
}
