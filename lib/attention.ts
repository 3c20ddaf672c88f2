/**
 * YOUR CODE for notebook 01 (scaled dot-product attention).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell: the notebook picks up your new code without a kernel restart.
 * Check your work with the notebook's check cells or `npm run grade -- 1.1` (… 1.4).
 *
 * Rules the grader checks for every exercise: return new tensors (never modify the inputs),
 * free your intermediates (wrap the work in tf.tidy), match the shapes documented here, and
 * reject bad input with an Error that names the function and the shapes or values involved
 * (lib/support/checks.ts has helpers: requireTensor, requireInt, requireBroadcastsTo, fmtShape).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { AttentionResult } from "./support/types";
// The types these functions take and return (AttentionResult) are defined once, in lib/support/types.ts.
export type { AttentionResult } from "./support/types";

/**
 * Exercise 1.1: softmax along `axis`, numerically stable.
 *
 * x: any float32 tensor; the result has x's shape and sums to 1 along `axis`.
 * Must give finite results for logits as large as ±1e4 (exp(1e4) is Infinity in float32).
 * Do not call tf.softmax: build it from tf.max, tf.sub, tf.exp, tf.sum and tf.div.
 * A non-tensor x or an axis outside [-rank, rank) must throw an Error naming softmax and the bad value.
 */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return todo("1.1");
}

/**
 * Exercise 1.2: Attention(Q, K, V) = softmax(Q Kᵀ / sqrt(d_k)) V.
 *
 * q: [..., Tq, dk], k: [..., Tk, dk], v: [..., Tk, dv] (same leading dims).
 * mask (optional): broadcastable to [..., Tq, Tk]; 1 = may attend, 0 = blocked.
 * Returns { output: [..., Tq, dv], weights: [..., Tq, Tk] }.
 * A query whose every key is blocked must get all-zero weights and a zero output.
 * Shape mismatches must raise an error naming scaledDotProductAttention, the argument and the shapes.
 * Notebook 02 trains through this function, so tf.grads must go through it: use ops tfjs can
 * differentiate on the way from q, k, v to the output (a 0/1 mask multiplied in, not tf.greater
 * of computed values).
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask?: tf.Tensor,
): AttentionResult {
  return todo("1.2");
}

/**
 * Exercise 1.3: [n, n] float32 mask, 1 on and below the diagonal: position i may attend to j <= i.
 * n must be a positive integer; otherwise throw an Error naming causalMask and the bad value.
 */
export function causalMask(n: number): tf.Tensor2D {
  return todo("1.3");
}

/**
 * Exercise 1.4: padding mask for a batch of sequences padded to `maxLen`.
 *
 * lengths: B true lengths (each in [0, maxLen]) → [B, 1, maxLen] float32,
 * mask[b, 0, j] = 1 if j < lengths[b] else 0. The middle 1 lets it broadcast
 * against scores [B, Tq, Tk] with Tk = maxLen.
 * A length outside [0, maxLen] (or not an integer) must throw an Error naming paddingMask and the bad length.
 */
export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  return todo("1.4");
}
