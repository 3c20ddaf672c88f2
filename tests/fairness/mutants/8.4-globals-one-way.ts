/**
 * @planted mutant
 * @exercise 8.4
 * @bug global tokens only as keys: a global position's query still sees only its window
 * @misconception globals-one-way
 */
import * as tf from "@tensorflow/tfjs";
import type { SlidingWindowOptions } from "../../../lib/support/types";
import { scaledDotProductAttention } from "../../../lib/attention";

export function slidingWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: SlidingWindowOptions): tf.Tensor {
  const n = q.shape[q.rank - 2];
  const w = options.window;
  const globals = options.globalTokens ?? [];
  const chunk = 16;
  return tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const c = Math.min(chunk, n - i0);
      const hasGlobalQuery = false;
      const lo = hasGlobalQuery ? 0 : Math.max(0, i0 - w);
      const hi = hasGlobalQuery ? n : Math.min(n, i0 + c + w);
      const cols: number[] = [];
      for (let j = lo; j < hi; j++) if (!globals.includes(j)) cols.push(j);
      cols.push(...globals);
      const allowed = tf.tensor2d(
        Array.from({ length: c }, (_, a) => cols.map((j) => (Math.abs(i0 + a - j) <= w || globals.includes(j) ? 1 : 0))),
      );
      const rows = tf.gather(q, Array.from({ length: c }, (_, a) => i0 + a), q.rank - 2);
      out.push(scaledDotProductAttention(rows, tf.gather(k, cols, k.rank - 2), tf.gather(v, cols, v.rank - 2), allowed).output);
    }
    return tf.concat(out, -2);
  });
}
