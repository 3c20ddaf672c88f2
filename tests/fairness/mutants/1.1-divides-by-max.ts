/**
 * @planted mutant
 * @exercise 1.1
 * @bug normalises by the largest exponential instead of the sum
 * @feedback your output does not sum to 1 along any axis
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
    return tf.div(e, tf.max(e, axis, true));
  });
}
