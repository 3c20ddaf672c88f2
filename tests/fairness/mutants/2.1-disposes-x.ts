/**
 * @planted mutant
 * @exercise 2.1
 * @bug disposes x once the heads are split
 * @category intact
 * @feedback splitHeads disposed its input "x"
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [b, t, d] = x.shape;
  const out = tf.tidy(() => tf.transpose(tf.reshape(x, [b, t, numHeads, d / numHeads]), [0, 2, 1, 3]));
  x.dispose();
  return out;
}
