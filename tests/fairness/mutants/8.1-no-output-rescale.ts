/**
 * @planted mutant
 * @exercise 8.1
 * @bug adds each block's p·v to the accumulated output without rescaling it by exp(m − m′) (the normaliser is rescaled)
 * @misconception no-output-rescale
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireAttentionInputs, requireInt, requireOptions } from "../../../lib/support/checks";
import type { TiledAttentionOptions } from "../../../lib/support/types";

function rowsOf(x: tf.Tensor, start: number, size: number): tf.Tensor {
  return tf.slice(x, x.shape.map((_, i) => (i === x.rank - 2 ? start : 0)), x.shape.map((d, i) => (i === x.rank - 2 ? size : d)));
}

export function tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: TiledAttentionOptions): tf.Tensor {
  // The reference's argument checks (the planted mistake is elsewhere; without them blockQ 0 loops forever).
  requireAttentionInputs("tiledAttention", q, k, v);
  requireOptions("tiledAttention", "options", options);
  requireInt("tiledAttention", "options.blockQ", options.blockQ, 1);
  requireInt("tiledAttention", "options.blockK", options.blockK, 1);
  if (options.causal === true && q.shape[q.rank - 2] !== k.shape[k.rank - 2]) {
    throw new LabInputError(`tiledAttention: options.causal needs as many queries as keys (self-attention), got q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)}`);
  }
  const { blockQ, blockK } = options;
  const causal = options.causal === true;
  const tq = q.shape[q.rank - 2];
  const tk = k.shape[k.rank - 2];
  const dk = q.shape[q.rank - 1];
  const dv = v.shape[v.rank - 1];
  const lead = q.shape.slice(0, -2);
  const blocks: tf.Tensor[] = [];
  for (let i0 = 0; i0 < tq; i0 += blockQ) {
    const bq = Math.min(blockQ, tq - i0);
    blocks.push(
      tf.tidy(() => {
        const qb = tf.div(rowsOf(q, i0, bq), Math.sqrt(dk));
        let m = tf.fill([...lead, bq, 1], -Infinity);
        let l = tf.zeros([...lead, bq, 1]);
        let acc = tf.zeros([...lead, bq, dv]);
        for (let j0 = 0; j0 < tk; j0 += blockK) {
          if (causal && j0 > i0 + bq - 1) break;
          const bk = Math.min(blockK, tk - j0);
          const next = tf.tidy(() => {
            let s = tf.matMul(qb, rowsOf(k, j0, bk), false, true);
            if (causal) {
              const future = tf.greater(tf.range(j0, j0 + bk).reshape([1, bk]), tf.range(i0, i0 + bq).reshape([bq, 1]));
              s = tf.add(s, tf.mul(tf.cast(future, "float32"), -1e9));
            }
            const mNew = tf.maximum(m, tf.max(s, -1, true));
            const p = tf.exp(tf.sub(s, mNew));
            const r = tf.exp(tf.sub(m, mNew));
            const lNew = tf.add(tf.mul(l, r), tf.sum(p, -1, true));
            const accNew = tf.add(acc, tf.matMul(p, rowsOf(v, j0, bk)));
            return [mNew, lNew, accNew];
          });
          tf.dispose([m, l, acc]);
          [m, l, acc] = next;
        }
        return tf.div(acc, l);
      }),
    );
  }
  const out = tf.concat(blocks, -2);
  tf.dispose(blocks);
  return out;
}
