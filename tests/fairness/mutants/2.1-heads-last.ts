/**
 * @planted mutant
 * @exercise 2.1
 * @bug stops after the reshape: [B, T, h, d/h]
 * @feedback output: shape
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  return tf.reshape(x, [b, t, numHeads, d / numHeads]);
}
