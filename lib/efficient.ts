/**
 * YOUR CODE for notebook 08 (efficient attention).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 8.1` (… 8.4).
 *
 * Standard attention builds the [..., Tq, Tk] score matrix; every function here computes its
 * result WITHOUT ever holding that matrix (the grader measures the peak tensor memory of your
 * call). Each returns the output tensor [..., Tq, dv] only, never weights.
 * Shapes: q [..., Tq, dk], k [..., Tk, dk], v [..., Tk, dv], the same leading dims.
 * Rules the grader checks: new tensors out, inputs untouched, no leaks (tf.tidy; inside a loop,
 * free each step's tensors before the next step, or a tidy around the loop keeps them all),
 * and bad input rejected with an Error naming the function and the shapes or values involved
 * (lib/support/checks.ts has helpers: requireAttentionInputs, requireInt, requireOptions).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { LinformerProjections, PerformerOptions, SlidingWindowOptions, TiledAttentionOptions } from "./support/types";
// The types these functions take (TiledAttentionOptions, …) are defined once, in lib/support/types.ts.
export type { LinformerProjections, PerformerOptions, SlidingWindowOptions, TiledAttentionOptions } from "./support/types";

/**
 * Exercise 8.1: exact attention, softmax(q·kᵀ/√dk)·v, computed in blocks (FlashAttention's
 * forward pass), never holding more than a [blockQ, blockK] piece of the scores.
 *
 * For each block of blockQ queries, visit the keys blockK at a time and keep, per query, the
 * running maximum m of its scores, the running sum l of exp(score − m) and the running sum acc
 * of exp(score − m)·v. When a block raises the maximum from m to m′, rescale l and acc by
 * exp(m − m′) before adding the block's terms. The block's output is acc / l.
 * The block sizes need not divide Tq or Tk (the last block is shorter). With causal: true
 * (self-attention, Tq = Tk), query i sees keys j <= i only: skip the key blocks that lie entirely
 * after the query block's last query, and mask j > i inside the blocks that cross the diagonal.
 * The result must equal scaledDotProductAttention's output (to about 1e-5).
 * Take blocks of rows with sequenceRows(x, start, size) from ./support/ops, not tf.slice: on the
 * wasm backend tf.slice copies the WHOLE input on every call, which makes a loop over blocks
 * quadratic in copying alone.
 * Bad input: blockQ or blockK not an integer >= 1, q/k/v shapes that do not fit, causal with
 * Tq ≠ Tk: an Error naming tiledAttention and the value or shapes.
 */
export function tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: TiledAttentionOptions): tf.Tensor {
  return todo("8.1");
}

/**
 * Exercise 8.2: Linformer attention, softmax(q·(E·k)ᵀ/√dk)·(F·v).
 *
 * E and F [kp, n] (n = Tk) project the keys and the values along the sequence axis, for every
 * leading index: E·k is [..., kp, dk], F·v is [..., kp, dv]. The scores are [..., Tq, kp].
 * You may build on your scaledDotProductAttention (./attention).
 * Bad input: E or F not float32 2-D, E's second dimension not Tk, F not the same [kp, Tk]: an
 * Error naming linformerAttention, the projection and the shapes.
 */
export function linformerAttention(projections: LinformerProjections, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return todo("8.2");
}

/**
 * Exercise 8.3: Performer attention (FAVOR+) with m = numFeatures positive random features.
 *
 * Draw ω [m, dk] with performerFeatures(m, dk, seed) from lib/support/efficient.ts (the grader
 * compares with the reference on the same features). With x = q / dk^¼ and y = k / dk^¼,
 * φ(x) = exp(ωᵢᵀx − ‖x‖²/2) / √m for i = 1 … m, so Q′ = φ(x) [..., Tq, m], K′ = φ(y) [..., Tk, m].
 * Return D⁻¹ Q′ (K′ᵀ v) with D = diag(Q′ (K′ᵀ 1)): multiply right to left, so that no
 * [Tq, Tk] product is ever formed.
 * Bad input: numFeatures not an integer >= 1, seed not a non-zero integer: an Error.
 */
export function performerAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: PerformerOptions): tf.Tensor {
  return todo("8.3");
}

/**
 * Exercise 8.4: Longformer's attention: a sliding window plus symmetric global tokens.
 *
 * Self-attention (Tq = Tk = n). Query i may attend to key j when |i − j| <= window, or when i or
 * j is one of globalTokens (a global position attends to every key, and every query attends to
 * it). The result equals scaledDotProductAttention under that mask, but compute it in chunks of
 * queries, each against only the keys its windows reach (plus the global keys), so memory grows
 * like n·window, not n² (take each chunk's rows with sequenceRows from ./support/ops, as in 8.1).
 * Count each global key once per query.
 * You may build on your scaledDotProductAttention (./attention).
 * Bad input: q and k of different lengths, window not an integer in [0, n], a global position
 * outside [0, n) or repeated: an Error naming slidingWindowAttention and the value.
 */
export function slidingWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: SlidingWindowOptions): tf.Tensor {
  return todo("8.4");
}
