/**
 * @planted mutant
 * @exercise 0.1
 * @bug flattens q and k to 2-D rows, so every query meets the keys of every batch
 * @feedback output: shape
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const d = q.shape[q.rank - 1];
  return tf.tidy(() => tf.matMul(tf.reshape(q, [-1, d]), tf.reshape(k, [-1, d]), false, true));
}
