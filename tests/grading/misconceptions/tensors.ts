/**
 * Misconception variants and correct alternatives for the exercises in lib/tensors.ts (0.1).
 *
 * Each variant is what a student's code computes after one typical mistake. The variants skip
 * input validation on purpose: a student who made the mistake usually did not validate either,
 * and the shape errors tfjs then raises are part of the fingerprint (see diagnose()).
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../../../lib/support/checks";
import type { Alternative, Misconception, TensorsModule } from "../../../grader/types";

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
];

export const DOT_PRODUCT_SCORES_ALTERNATIVES: readonly Alternative<DotProductScores>[] = [
  {
    exercise: "0.1",
    id: "explicit-transpose",
    description: "transposes k with tf.transpose, then tf.matMul",
    fn: (q, k) => {
      requireTensor("dotProductScores", "q", q, { minRank: 2, dtypes: ["float32"] });
      requireTensor("dotProductScores", "k", k, { minRank: 2, dtypes: ["float32"] });
      if (q.rank !== k.rank || q.shape[q.rank - 1] !== k.shape[k.rank - 1] || q.shape.slice(0, -2).some((d, i) => d !== k.shape[i])) {
        throw new LabInputError(`dotProductScores: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} do not match`);
      }
      return tf.tidy(() => {
        const perm = [...Array(k.rank).keys()];
        [perm[k.rank - 2], perm[k.rank - 1]] = [perm[k.rank - 1], perm[k.rank - 2]];
        return tf.matMul(q, tf.transpose(k, perm));
      });
    },
  },
];
