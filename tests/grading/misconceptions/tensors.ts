/**
 * Misconception variants for the exercises in lib/tensors.ts (0.1).
 *
 * Each variant is what a student's code computes after one typical mistake. The variants skip
 * input validation on purpose: a student who made the mistake usually did not validate either,
 * and the shape errors tfjs then raises are part of the fingerprint (see diagnose()).
 */
import * as tf from "@tensorflow/tfjs";
import type { Misconception, TensorsModule } from "../../../grader/types";

type DotProductScores = TensorsModule["dotProductScores"];

export const DOT_PRODUCT_SCORES_MISCONCEPTIONS: readonly Misconception<DotProductScores>[] = [
  {
    exercise: "0.1",
    id: "no-transpose",
    looksLike: "q·k without transposing k",
    fix: "the scores are q·kᵀ: pass transposeB = true to tf.matMul (tf.matMul(q, k, false, true))",
    fn: (q, k) => tf.matMul(q, k),
  },
  {
    exercise: "0.1",
    id: "transpose-q",
    looksLike: "qᵀ·k (the transpose flag on the wrong argument)",
    fix: "transpose k, not q: tf.matMul(q, k, false, true)",
    fn: (q, k) => tf.matMul(q, k, true, false),
  },
  {
    exercise: "0.1",
    id: "k-times-q",
    looksLike: "k·qᵀ (the scores transposed, [..., Tk, Tq])",
    fix: "put q first: tf.matMul(q, k, false, true) gives [..., Tq, Tk]",
    fn: (q, k) => tf.matMul(k, q, false, true),
  },
  {
    exercise: "0.1",
    id: "elementwise",
    looksLike: "the elementwise product q * k",
    fix: "a dot product multiplies and then sums over d: use tf.matMul(q, k, false, true), not tf.mul",
    fn: (q, k) => tf.mul(q, k),
  },
  {
    exercise: "0.1",
    id: "transpose-all-axes",
    looksLike: "q·tf.transpose(k) with no permutation, which reverses every axis of k ([B, Tk, d] becomes [d, Tk, B]), not just the last two",
    fix: "transpose only the last two axes of k: tf.matMul(q, k, false, true), or tf.transpose(k, perm) with the last two entries of perm swapped",
    fn: (q, k) => tf.tidy(() => tf.matMul(q, tf.transpose(k))),
  },
];

