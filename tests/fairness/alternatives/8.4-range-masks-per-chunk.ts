/**
 * @planted alternative
 * @exercise 8.4
 * @style chunks of 32 queries; the band written as j − i < window + 1 and i − j < window + 1 with tf comparisons; keys of a chunk gathered by index (window keys not global, then the globals); a global query's row computed with its chunk over all keys; own error wording
 * @near window-exclusive
 * @near globals-one-way
 */
import * as tf from "@tensorflow/tfjs";
import type { SlidingWindowOptions } from "../../../lib/support/types";

export function slidingWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: SlidingWindowOptions): tf.Tensor {
  const n = q.shape[q.rank - 2];
  if (k.shape[k.rank - 2] !== n) throw new Error(`slidingWindowAttention: self-attention only, but q is [${q.shape}] and k is [${k.shape}]`);
  const w = options.window;
  if (!Number.isInteger(w) || w < 0 || w > n) throw new Error(`slidingWindowAttention: window ${w} is not between 0 and the length ${n}`);
  const globals = [...(options.globalTokens ?? [])];
  for (const g of globals) if (!Number.isInteger(g) || g < 0 || g >= n) throw new Error(`slidingWindowAttention: global token ${g} is outside 0..${n - 1}`);
  if (new Set(globals).size !== globals.length) throw new Error(`slidingWindowAttention: global tokens repeat: ${globals}`);
  const isGlobal = (i: number) => globals.includes(i);
  const scale = 1 / Math.sqrt(q.shape[q.rank - 1]);
  const size = 32;
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < n; start += size) {
    const c = Math.min(size, n - start);
    const queries = Array.from({ length: c }, (_, a) => start + a);
    const anyGlobal = queries.some(isGlobal);
    const near: number[] = [];
    for (let j = anyGlobal ? 0 : Math.max(0, start - w); j < (anyGlobal ? n : Math.min(n, start + c + w)); j++) if (!isGlobal(j)) near.push(j);
    const cols = [...near, ...globals];
    parts.push(
      tf.tidy(() => {
        const qi = tf.tensor2d(queries, [c, 1], "int32");
        const kj = tf.tensor2d(cols, [1, cols.length], "int32");
        const band = tf.logicalAnd(tf.less(tf.sub(kj, qi), w + 1), tf.less(tf.sub(qi, kj), w + 1));
        const toGlobal = tf.tensor2d(cols.map((j) => isGlobal(j)), [1, cols.length], "bool");
        const fromGlobal = tf.tensor2d(queries.map((i) => isGlobal(i)), [c, 1], "bool");
        const allowed = tf.logicalOr(band, tf.logicalOr(toGlobal, fromGlobal)); // [c, cols]
        const qc = tf.gather(q, queries, q.rank - 2);
        const kc = tf.gather(k, cols, k.rank - 2);
        const vc = tf.gather(v, cols, v.rank - 2);
        const s = tf.mul(tf.matMul(qc, kc, false, true), scale);
        const masked = tf.where(tf.broadcastTo(allowed, s.shape), s, tf.fill(s.shape, -1e9));
        return tf.matMul(tf.softmax(masked), vc);
      }),
    );
  }
  const out = tf.concat(parts, -2);
  tf.dispose(parts);
  return out;
}
