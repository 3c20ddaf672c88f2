/**
 * @planted mutant
 * @exercise 2.2
 * @bug transposes with [0, 2, 3, 1] before the reshape, interleaving the heads' features
 * @feedback holds the reference's values, but in a different arrangement
 */
import * as tf from "@tensorflow/tfjs";

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, dh] = x.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [b, t, h * dh]));
}
