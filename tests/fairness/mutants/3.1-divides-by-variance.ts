/**
 * @planted mutant
 * @exercise 3.1
 * @bug divides by the variance instead of its square root
 * @feedback has mean 0 at every position, like the reference's, but a different variance
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.add(variance, eps)), gamma), beta);
  });
}
