/**
 * @planted mutant
 * @exercise 1.3
 * @bug keeps the upper triangle
 * @misconception upper
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  return tf.tidy(() => tf.linalg.bandPart(tf.ones([n, n]), 0, -1) as tf.Tensor2D);
}
