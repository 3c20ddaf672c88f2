/**
 * @planted alternative
 * @exercise 1.3
 * @style builds the matrix with JavaScript loops and tf.tensor2d
 * @near upper
 * @near strictly-lower
 */
import * as tf from "@tensorflow/tfjs";
import { requireInt } from "../../../lib/support/checks";

export function causalMask(n: number): tf.Tensor2D {
  requireInt("causalMask", "n", n, 1);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(j <= i ? 1 : 0);
    rows.push(row);
  }
  return tf.tensor2d(rows, [n, n], "float32");
}
