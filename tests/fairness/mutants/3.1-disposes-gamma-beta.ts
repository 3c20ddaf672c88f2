/**
 * @planted mutant
 * @exercise 3.1
 * @bug disposes gamma and beta after use
 * @category intact
 * @feedback layerNorm disposed its input "gamma"
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const out = tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  });
  tf.dispose([gamma, beta]);
  return out;
}
