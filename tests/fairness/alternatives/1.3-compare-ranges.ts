/**
 * @planted alternative
 * @exercise 1.3
 * @style compares a column of row indices with a row of column indices (j <= i) and casts to float32; own error wording
 * @near bool-dtype
 */
import * as tf from "@tensorflow/tfjs";

export function causalMask(n: number): tf.Tensor2D {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`causalMask: n has to be a positive whole number (got ${n})`);
  }
  return tf.tidy(() => {
    const i = tf.range(0, n).reshape([n, 1]);
    const j = tf.range(0, n).reshape([1, n]);
    return tf.cast(tf.lessEqual(j, i), "float32") as tf.Tensor2D;
  });
}
