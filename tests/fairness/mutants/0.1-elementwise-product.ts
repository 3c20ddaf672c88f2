/**
 * @planted mutant
 * @exercise 0.1
 * @bug multiplies elementwise
 * @misconception elementwise
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  return tf.mul(q, k);
}
