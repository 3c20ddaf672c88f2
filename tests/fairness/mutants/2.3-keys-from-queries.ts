/**
 * @planted mutant
 * @exercise 2.3
 * @bug projects the keys and values from xq instead of xkv
 * @feedback the keys and values must be projected from xkv
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../../../lib/attention";
import { mergeHeads, splitHeads } from "../../../lib/multihead";
import type { MultiHeadParams, MultiHeadResult } from "../../../lib/support/types";

function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [b, t, din] = x.shape;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [b * t, din]), w), [b, t, w.shape[1] as number]);
  return bias ? tf.add(y, bias) : y;
}

export function multiHeadAttention(p: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  return tf.tidy(() => {
    const h = p.numHeads;
    const q = splitHeads(dense(xq, p.wq, p.bq), h);
    const k = splitHeads(dense(xq, p.wk, p.bk), h);
    const v = splitHeads(dense(xq, p.wv, p.bv), h);
    const m = mask === undefined || mask.rank === 4 ? mask : mask.rank === 3 ? tf.expandDims(mask, 1) : mask;
    const r = scaledDotProductAttention(q, k, v, m);
    return { output: dense(mergeHeads(r.output), p.wo, p.bo), weights: r.weights };
  });
}
