/**
 * @planted alternative
 * @exercise 0.1
 * @style transposes the last two axes of k with tf.transpose, then a plain tf.matMul
 * @near no-transpose
 * @near transpose-q
 * @near transpose-all-axes
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../../../lib/support/checks";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
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
}
