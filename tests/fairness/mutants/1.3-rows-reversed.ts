/**
 * @planted mutant
 * @exercise 1.3
 * @bug fills row i from the bottom: row order reversed
 * @feedback holds the reference's values, but in a different arrangement
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= n - 1 - i ? 1 : 0)));
  return tf.tensor2d(rows, [n, n]);
}
