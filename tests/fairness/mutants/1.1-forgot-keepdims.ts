/**
 * @planted mutant
 * @exercise 1.1
 * @bug reduces without keepDims
 * @misconception no-keepdims
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, axis)));
    return tf.div(e, tf.sum(e, axis));
  });
}
