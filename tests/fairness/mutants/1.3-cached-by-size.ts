/**
 * @planted mutant
 * @exercise 1.3
 * @bug caches one mask per size and hands out the same tensor
 * @category fresh
 * @feedback returned the same tensor object on two calls with the same arguments
 */
import * as tf from "@tensorflow/tfjs";

const cache = new Map<number, tf.Tensor2D>();

export function causalMask(n: number): tf.Tensor2D {
  if (!Number.isInteger(n) || n < 1) throw new Error(`causalMask: n must be a positive integer, got ${n}`);
  let m = cache.get(n);
  if (!m || m.isDisposed) {
    m = tf.keep(tf.tidy(() => tf.linalg.bandPart(tf.ones([n, n]), -1, 0) as tf.Tensor2D));
    cache.set(n, m);
  }
  return m;
}
