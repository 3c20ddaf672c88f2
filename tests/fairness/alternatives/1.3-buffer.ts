/**
 * @planted alternative
 * @exercise 1.3
 * @style fills a tf.buffer below and on the diagonal
 */
import * as tf from "@tensorflow/tfjs";
import { requireInt } from "../../../lib/support/checks";

export function causalMask(n: number): tf.Tensor2D {
  requireInt("causalMask", "n", n, 1);
  const buf = tf.buffer([n, n], "float32");
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) buf.set(1, i, j);
  return buf.toTensor() as tf.Tensor2D;
}
