/**
 * @planted mutant
 * @exercise 1.3
 * @bug uses j < i, so a position cannot attend to itself
 * @misconception strictly-lower
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j < i ? 1 : 0)));
  return tf.tensor2d(rows);
}
