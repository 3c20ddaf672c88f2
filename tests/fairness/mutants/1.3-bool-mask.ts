/**
 * @planted mutant
 * @exercise 1.3
 * @bug returns the comparison's bool tensor
 * @misconception bool-dtype
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  return tf.tidy(() => tf.lessEqual(tf.range(0, n).reshape([1, n]), tf.range(0, n).reshape([n, 1])) as tf.Tensor2D);
}
