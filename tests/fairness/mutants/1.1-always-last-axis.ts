/**
 * @planted mutant
 * @exercise 1.1
 * @bug ignores the axis argument
 * @misconception ignores-axis
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, -1, true)));
    return tf.div(e, tf.sum(e, -1, true));
  });
}
