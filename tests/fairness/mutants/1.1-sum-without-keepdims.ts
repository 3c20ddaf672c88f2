/**
 * @planted mutant
 * @exercise 1.1
 * @bug keeps the max's axis but not the sum's, so the sum broadcasts against the wrong axis
 * @feedback behaves exactly like a softmax whose max and sum drop the reduced axis
 * @cause keepDims = true
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
    return tf.div(e, tf.sum(e, axis));
  });
}
