/**
 * @planted mutant
 * @exercise 2.2
 * @bug transposes outside tf.tidy
 * @category leaks
 * @feedback mergeHeads leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, dh] = x.shape;
  const moved = tf.transpose(x, [0, 2, 1, 3]);
  return tf.reshape(moved, [b, t, h * dh]);
}
