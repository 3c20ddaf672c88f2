/**
 * @planted mutant
 * @exercise 1.1
 * @bug returns log-probabilities (x - max - log sum exp)
 * @feedback your output is the logarithm of the softmax
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, axis, true));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
  });
}
