/**
 * @planted mutant
 * @exercise 2.3
 * @bug splits the projections with a plain reshape to [B, h, T, d/h] instead of its splitHeads
 * @misconception split-no-transpose
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../../../lib/attention";
import { mergeHeads } from "../../../lib/multihead";
import type { MultiHeadParams, MultiHeadResult } from "../../../lib/support/types";

function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [b, t, din] = x.shape;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [b * t, din]), w), [b, t, w.shape[1] as number]);
  return bias ? tf.add(y, bias) : y;
}

export function multiHeadAttention(p: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  return tf.tidy(() => {
    const h = p.numHeads;
    const heads = (x: tf.Tensor) => tf.reshape(x, [x.shape[0], h, x.shape[1] as number, (x.shape[2] as number) / h]);
    const q = heads(dense(xq, p.wq, p.bq));
    const k = heads(dense(xkv, p.wk, p.bk));
    const v = heads(dense(xkv, p.wv, p.bv));
    const m = mask === undefined || mask.rank === 4 ? mask : mask.rank === 3 ? tf.expandDims(mask, 1) : mask;
    const r = scaledDotProductAttention(q, k, v, m);
    return { output: dense(mergeHeads(r.output), p.wo, p.bo), weights: r.weights };
  });
}
