/**
 * @planted mutant
 * @exercise 1.1
 * @bug exponentiates the logits directly
 * @misconception naive
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(x);
    return tf.div(e, tf.sum(e, axis, true));
  });
}
