/**
 * @planted mutant
 * @exercise 1.1
 * @bug subtracts each row's maximum over the last axis, whatever axis the softmax is over
 * @misconception max-over-last-axis
 * @cause maximum
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, -1, true)));
    return tf.div(e, tf.sum(e, axis, true));
  });
}
