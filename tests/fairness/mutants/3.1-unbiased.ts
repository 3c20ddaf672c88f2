/**
 * @planted mutant
 * @exercise 3.1
 * @bug divides the squared deviations by d - 1
 * @misconception unbiased-variance
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const d = x.shape[x.rank - 1];
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const variance = tf.div(tf.sum(tf.square(tf.sub(x, mean)), -1, true), d - 1);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  });
}
