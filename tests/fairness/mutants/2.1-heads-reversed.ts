/**
 * @planted mutant
 * @exercise 2.1
 * @bug slices the heads from the end of the features
 * @feedback are the reference's heads in a different order
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  const dh = d / numHeads;
  return tf.tidy(() => tf.stack(Array.from({ length: numHeads }, (_, i) => tf.slice(x, [0, 0, (numHeads - 1 - i) * dh], [b, t, dh])), 1));
}
