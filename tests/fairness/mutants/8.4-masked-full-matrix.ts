/**
 * @planted mutant
 * @exercise 8.4
 * @bug right values, but masks a full [n, n] score matrix instead of taking chunks
 * @feedback held as much tensor memory at once as the whole [Tq, Tk] score matrix
 */
import * as tf from "@tensorflow/tfjs";
import type { SlidingWindowOptions } from "../../../lib/support/types";
import { scaledDotProductAttention } from "../../../lib/attention";

export function slidingWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: SlidingWindowOptions): tf.Tensor {
  const n = q.shape[q.rank - 2];
  const globals = options.globalTokens ?? [];
  return tf.tidy(() => {
    const mask = tf.buffer([n, n]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (Math.abs(i - j) <= options.window || globals.includes(i) || globals.includes(j)) mask.set(1, i, j);
    }
    return scaledDotProductAttention(q, k, v, mask.toTensor()).output;
  });
}
