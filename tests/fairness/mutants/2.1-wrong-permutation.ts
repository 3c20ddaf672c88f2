/**
 * @planted mutant
 * @exercise 2.1
 * @bug transposes with [0, 2, 3, 1]
 * @feedback output: shape
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  return tf.tidy(() => tf.transpose(tf.reshape(x, [b, t, numHeads, d / numHeads]), [0, 2, 3, 1]));
}
