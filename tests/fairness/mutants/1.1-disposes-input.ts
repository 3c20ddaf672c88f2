/**
 * @planted mutant
 * @exercise 1.1
 * @bug disposes x at the end
 * @category intact
 * @feedback softmax disposed its input "x"
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  const out = tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
    return tf.div(e, tf.sum(e, axis, true));
  });
  x.dispose();
  return out;
}
