/**
 * @planted mutant
 * @exercise 2.2
 * @bug concatenates the heads last to first
 * @feedback has the heads' features in a different order
 */
import * as tf from "@tensorflow/tfjs";

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.concat(tf.unstack(x, 1).reverse(), 2));
}
