/**
 * @planted mutant
 * @exercise 2.1
 * @bug reshapes straight to [B, h, T, d/h]
 * @misconception no-transpose
 * @also 2.3 the difference comes from your 2.1 splitHeads — fix 2.1 first
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  return tf.reshape(x, [b, numHeads, t, d / numHeads]);
}
