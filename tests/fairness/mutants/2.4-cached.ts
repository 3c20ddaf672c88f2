/**
 * @planted mutant
 * @exercise 2.4
 * @bug caches the table per (T, d)
 * @category fresh
 * @feedback returned the same tensor object on two calls with the same arguments
 */
import * as tf from "@tensorflow/tfjs";

const tables = new Map<string, tf.Tensor2D>();

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  const key = `${numPositions}x${d}`;
  const hit = tables.get(key);
  if (hit && !hit.isDisposed) return hit;
  const table = tf.keep(
    tf.tidy(() => {
      const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
      const angles = tf.div(pos, tf.pow(10000, tf.div(tf.range(0, d, 2), d)));
      return tf.reshape(tf.stack([tf.sin(angles), tf.cos(angles)], 2), [numPositions, d]) as tf.Tensor2D;
    }),
  );
  tables.set(key, table);
  return table;
}
