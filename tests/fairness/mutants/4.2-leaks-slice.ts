/**
 * @planted mutant
 * @exercise 4.2
 * @bug slices outside tf.tidy and never disposes the slice
 * @category leaks
 * @feedback clsPool leaves tensors behind
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  const [b, , d] = hidden.shape;
  const first = tf.slice(hidden, [0, 0, 0], [b, 1, d]);
  return tf.reshape(first, [b, d]).clone();
}
