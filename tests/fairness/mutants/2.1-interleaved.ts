/**
 * @planted mutant
 * @exercise 2.1
 * @bug reshapes to [B, T, d/h, h], so head i gets every h-th feature
 * @misconception interleaved
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  return tf.tidy(() => tf.transpose(tf.reshape(x, [b, t, d / numHeads, numHeads]), [0, 3, 1, 2]));
}
