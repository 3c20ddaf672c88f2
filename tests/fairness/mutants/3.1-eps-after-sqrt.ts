/**
 * @planted mutant
 * @exercise 3.1
 * @bug adds eps to the standard deviation
 * @misconception eps-outside-sqrt
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.add(tf.sqrt(variance), eps)), gamma), beta);
  });
}
