/**
 * @planted mutant
 * @exercise 2.1
 * @bug reshapes outside tf.tidy
 * @category leaks
 * @feedback splitHeads leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  const r = tf.reshape(x, [b, t, numHeads, d / numHeads]);
  return tf.transpose(r, [0, 2, 1, 3]);
}
