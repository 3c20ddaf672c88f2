/**
 * @planted mutant
 * @exercise 2.2
 * @bug reshapes [B, h, T, dh] straight to [B, T, h·dh]
 * @misconception no-transpose
 */
import * as tf from "@tensorflow/tfjs";

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, dh] = x.shape;
  return tf.reshape(x, [b, t, h * dh]);
}
