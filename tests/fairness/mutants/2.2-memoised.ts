/**
 * @planted mutant
 * @exercise 2.2
 * @bug remembers the last input and returns the same merged tensor
 * @category fresh
 * @feedback returned the same tensor object on two calls with the same arguments
 */
import * as tf from "@tensorflow/tfjs";

let last: { x: tf.Tensor; merged: tf.Tensor } | undefined;

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  if (last && last.x === x && !last.merged.isDisposed) return last.merged;
  const [b, h, t, dh] = x.shape;
  const merged = tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * dh]));
  last = { x, merged };
  return merged;
}
