/**
 * @planted mutant
 * @exercise 0.1
 * @bug transposes k outside any tf.tidy and never frees it
 * @category leaks
 * @feedback dotProductScores leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const perm = [...Array(k.rank).keys()];
  [perm[k.rank - 2], perm[k.rank - 1]] = [perm[k.rank - 1], perm[k.rank - 2]];
  const kt = tf.transpose(k, perm);
  return tf.matMul(q, kt);
}
