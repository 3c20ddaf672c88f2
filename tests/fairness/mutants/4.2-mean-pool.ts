/**
 * @planted mutant
 * @exercise 4.2
 * @bug mean over all positions
 * @misconception mean-pool
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  return tf.mean(hidden, 1);
}
