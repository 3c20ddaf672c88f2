/**
 * @planted alternative
 * @exercise 8.1
 * @style keeps the output normalised after every key block (FlashAttention-1's update o = (l·r·o + p·v) / l′), manual dispose, causal skip written as j0 >= i0 + bq, own error wording
 * @near divide-per-block
 * @near no-output-rescale
 * @near causal-skip-one-early
 */
import * as tf from "@tensorflow/tfjs";
import type { TiledAttentionOptions } from "../../../lib/support/types";

function blockOf(x: tf.Tensor, from: number, count: number): tf.Tensor {
  const begin = x.shape.map((_, i) => (i === x.rank - 2 ? from : 0));
  const size = x.shape.map((d, i) => (i === x.rank - 2 ? count : d));
  return tf.slice(x, begin, size);
}

export function tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: TiledAttentionOptions): tf.Tensor {
  const where = "tiledAttention";
  if (!(q instanceof tf.Tensor) || !(k instanceof tf.Tensor) || !(v instanceof tf.Tensor) || q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank) {
    throw new Error(`${where}: q, k and v must be tensors of the same rank >= 2`);
  }
  const [tq, dk] = q.shape.slice(-2);
  const [tk, dk2] = k.shape.slice(-2);
  if (dk !== dk2 || q.shape.slice(0, -2).join() !== k.shape.slice(0, -2).join() || v.shape[v.rank - 2] !== tk) {
    throw new Error(`${where}: shapes do not fit: q [${q.shape}], k [${k.shape}], v [${v.shape}]`);
  }
  for (const key of ["blockQ", "blockK"] as const) {
    const b = options?.[key];
    if (typeof b !== "number" || !Number.isInteger(b) || b < 1) throw new Error(`${where}: ${key} must be a positive whole number, not ${b}`);
  }
  const causal = options.causal ?? false;
  if (causal && tq !== tk) throw new Error(`${where}: causal attention needs q and k of the same length, got q [${q.shape}] and k [${k.shape}]`);
  const lead = q.shape.slice(0, -2);
  const dv = v.shape[v.rank - 1];
  const pieces: tf.Tensor[] = [];
  for (let i0 = 0; i0 < tq; i0 += options.blockQ) {
    const bq = Math.min(options.blockQ, tq - i0);
    const qRaw = blockOf(q, i0, bq);
    const qb = tf.div(qRaw, Math.sqrt(dk));
    qRaw.dispose();
    let m = tf.fill([...lead, bq, 1], -Infinity);
    let l = tf.zeros([...lead, bq, 1]);
    let o = tf.zeros([...lead, bq, dv]); // normalised output of the keys seen so far
    for (let j0 = 0; j0 < tk; j0 += options.blockK) {
      if (causal && j0 >= i0 + bq) break; // the whole key block is in the future of every query here
      const bk = Math.min(options.blockK, tk - j0);
      const next = tf.tidy(() => {
        let s = tf.matMul(qb, blockOf(k, j0, bk), false, true);
        if (causal) {
          const qi = tf.range(i0, i0 + bq).reshape([bq, 1]);
          const kj = tf.range(j0, j0 + bk).reshape([1, bk]);
          s = tf.where(tf.broadcastTo(tf.lessEqual(kj, qi), s.shape), s, tf.fill(s.shape, -1e9));
        }
        const mNew = tf.maximum(m, tf.max(s, -1, true));
        const p = tf.exp(tf.sub(s, mNew));
        const r = tf.exp(tf.sub(m, mNew));
        const lNew = tf.add(tf.mul(l, r), tf.sum(p, -1, true));
        const oNew = tf.div(tf.add(tf.mul(tf.mul(o, l), r), tf.matMul(p, blockOf(v, j0, bk))), lNew);
        return { mNew, lNew, oNew };
      });
      m.dispose();
      l.dispose();
      o.dispose();
      m = next.mNew;
      l = next.lNew;
      o = next.oNew;
    }
    pieces.push(o);
    m.dispose();
    l.dispose();
    qb.dispose();
  }
  const result = pieces.length === 1 ? pieces[0].clone() : tf.concat(pieces, -2);
  tf.dispose(pieces);
  return result;
}
