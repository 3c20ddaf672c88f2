/**
 * @planted mutant
 * @exercise 3.1
 * @bug computes the moments outside tf.tidy
 * @category leaks
 * @feedback layerNorm leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.tidy(() => tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta));
}
