/**
 * @planted mutant
 * @exercise 1.1
 * @bug computes the maximum outside tf.tidy
 * @category leaks
 * @feedback softmax leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  const m = tf.max(x, axis, true);
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, m));
    return tf.div(e, tf.sum(e, axis, true));
  });
}
