/**
 * @planted mutant
 * @exercise 8.4
 * @bug a global key inside a query's window is counted twice (once in the window, once as a global key)
 * @feedback differs from the reference
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
      const hasGlobalQuery = globals.some((g) => g >= i0 && g < i0 + c);
      const lo = hasGlobalQuery ? 0 : Math.max(0, i0 - w);
      const hi = hasGlobalQuery ? n : Math.min(n, i0 + c + w);
      const cols: number[] = [];
      for (let j = lo; j < hi; j++) if (true) cols.push(j);
      cols.push(...globals);
      const allowed = tf.tensor2d(
        Array.from({ length: c }, (_, a) => cols.map((j) => (Math.abs(i0 + a - j) <= w || globals.includes(j) || globals.includes(i0 + a) ? 1 : 0))),
      );
      const rows = tf.gather(q, Array.from({ length: c }, (_, a) => i0 + a), q.rank - 2);
      out.push(scaledDotProductAttention(rows, tf.gather(k, cols, k.rank - 2), tf.gather(v, cols, v.rank - 2), allowed).output);
    }
    return tf.concat(out, -2);
  });
}
