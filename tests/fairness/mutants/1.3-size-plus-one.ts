/**
 * @planted mutant
 * @exercise 1.3
 * @bug counts positions from 0 to n inclusive: an [n+1, n+1] mask
 * @feedback output: shape
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  return tf.tidy(() => {
    const i = tf.range(0, n + 1).reshape([n + 1, 1]);
    const j = tf.range(0, n + 1).reshape([1, n + 1]);
    return tf.cast(tf.lessEqual(j, i), "float32") as tf.Tensor2D;
  });
}
