/**
 * @planted mutant
 * @exercise 3.1
 * @bug scales by beta and shifts by gamma
 * @feedback gamma and beta are used the other way round
 * @also 3.3 your encoderLayer is right here; the difference comes from your 3.1 layerNorm — fix 3.1 first
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), beta), gamma);
  });
}
