/**
 * YOUR CODE for notebook 00 (setup and tensors).
 *
 * Replace the `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell: the notebook picks up your new code without a kernel restart.
 * Check your work with the notebook's check cell or `npm run grade -- 0.1`.
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";

/**
 * Exercise 0.1: every query dotted with every key, batched.
 *
 * q: [..., Tq, d], k: [..., Tk, d] (same leading dims) → scores: [..., Tq, Tk],
 * scores[..., i, j] = Σ_c q[..., i, c] · k[..., j, c].
 * Hint: one call to tf.matMul, with the right transpose flag.
 * Bad input (a non-tensor, or q and k whose last dims or batch dims differ) must throw an Error
 * naming dotProductScores and the shapes, e.g. "dotProductScores: q [2,5,8] and k [2,6,4] ...";
 * lib/support/checks.ts has helpers (requireTensor, fmtShape).
 */
export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  return todo("0.1");
}
