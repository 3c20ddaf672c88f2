/**
 * @planted mutant
 * @exercise 4.2
 * @bug pools the last position
 * @misconception last-position
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  const [b, t, d] = hidden.shape;
  return tf.tidy(() => tf.reshape(tf.slice(hidden, [0, t - 1, 0], [b, 1, d]), [b, d]));
}
