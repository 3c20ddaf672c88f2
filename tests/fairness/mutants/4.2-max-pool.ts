/**
 * @planted mutant
 * @exercise 4.2
 * @bug max over positions
 * @feedback differs from the reference
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  return tf.max(hidden, 1);
}
