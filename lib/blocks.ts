/**
 * YOUR CODE for notebook 03 (encoder and decoder blocks).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 3.1` (… 3.4).
 *
 * Layers are pre-norm: x + Sublayer(LayerNorm(x)) (notebook 03 explains why, and shows the
 * post-norm original). Weights follow notebook 02's convention: y = x·W + b, W [d_in, d_out].
 * Rules the grader checks: new tensors out, inputs untouched, no leaks (tf.tidy), documented
 * shapes, and bad input rejected with an Error naming the function and the shapes.
 * Build on your own multiHeadAttention (./multihead).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { LayerNormParams, FeedForwardParams, EncoderLayerParams, DecoderLayerParams, EncoderLayerResult, DecoderLayerResult } from "./support/types";
// The types these functions take and return (LayerNormParams, FeedForwardParams, …) are defined once, in lib/support/types.ts.
export type { LayerNormParams, FeedForwardParams, EncoderLayerParams, DecoderLayerParams, EncoderLayerResult, DecoderLayerResult } from "./support/types";

/**
 * Exercise 3.1: normalise each position's features (the last axis) to mean 0 and variance 1,
 * then scale and shift: gamma · (x − mean) / sqrt(var + eps) + beta. The variance is the
 * biased one (divide by d, not d − 1), as in PyTorch's nn.LayerNorm.
 * x: [..., d], gamma and beta: [d].
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return todo("3.1");
}

/**
 * Exercise 3.2: the position-wise feed-forward network, the same two-layer MLP applied to
 * every position on its own: relu(x·w1 + b1)·w2 + b2. x: [B, T, d] → [B, T, d].
 */
export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  return todo("3.2");
}

/**
 * Exercise 3.3: one pre-norm encoder layer.
 *   a = x + SelfAttention(LN1(x))          (queries, keys and values all from LN1(x); mask optional, e.g. padding)
 *   output = a + FeedForward(LN2(a))
 * x: [B, T, d]; mask broadcastable to [B, T, T] (e.g. paddingMask's [B, 1, T]).
 */
export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  return todo("3.3");
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
  return todo("3.4");
}
