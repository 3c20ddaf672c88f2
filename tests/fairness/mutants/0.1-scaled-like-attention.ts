/**
 * @planted mutant
 * @exercise 0.1
 * @bug already divides by sqrt(d), as attention will
 * @feedback your output is the reference's multiplied by a constant factor
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const d = q.shape[q.rank - 1];
  return tf.tidy(() => tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)));
}
