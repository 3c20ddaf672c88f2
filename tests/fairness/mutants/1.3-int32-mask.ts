/**
 * @planted mutant
 * @exercise 1.3
 * @bug builds the mask as int32
 * @feedback output: dtype int32, expected float32
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i ? 1 : 0)));
  return tf.tensor2d(rows, [n, n], "int32");
}
