/**
 * @planted mutant
 * @exercise 1.3
 * @bug creates the ones matrix outside tf.tidy
 * @category leaks
 * @feedback causalMask leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  const ones = tf.ones([n, n]);
  return tf.linalg.bandPart(ones, -1, 0) as tf.Tensor2D;
}
