/**
 * @planted mutant
 * @exercise 0.1
 * @bug tf.transpose(k) with no permutation reverses every axis, not just the last two
 * @misconception transpose-all-axes
 * @cause transpose
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.matMul(q, tf.transpose(k)));
}
