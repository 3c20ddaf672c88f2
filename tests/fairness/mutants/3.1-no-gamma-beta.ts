/**
 * @planted mutant
 * @exercise 3.1
 * @bug returns the normalised values without gamma and beta
 * @feedback gamma and beta are not applied
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  });
}
