/**
 * @planted mutant
 * @exercise 1.3
 * @bug caches the mask without tf.keep: a tf.tidy around the first call frees it, and later calls return a disposed tensor
 * @category fresh
 * @feedback returned a tensor that was already disposed after a call inside the caller's tf.tidy
 */
import * as tf from "@tensorflow/tfjs";

let cached: tf.Tensor2D | undefined;

export function causalMask(n: number): tf.Tensor2D {
  if (!Number.isInteger(n) || n < 1) throw new Error(`causalMask: n must be a positive integer, got ${n}`);
  if (cached && cached.shape[0] === n) return cached;
  cached = tf.tidy(() => tf.linalg.bandPart(tf.ones([n, n]), -1, 0) as tf.Tensor2D);
  return cached;
}
