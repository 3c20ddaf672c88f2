/**
 * @planted mutant
 * @exercise 2.3
 * @bug multiplies by Wᵀ (PyTorch's nn.Linear layout)
 * @misconception weights-transposed
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../../../lib/attention";
import { mergeHeads, splitHeads } from "../../../lib/multihead";
import type { MultiHeadParams, MultiHeadResult } from "../../../lib/support/types";

function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [b, t, din] = x.shape;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [b * t, din]), w, false, true), [b, t, w.shape[0] as number]);
  return bias ? tf.add(y, bias) : y;
}

export function multiHeadAttention(p: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  return tf.tidy(() => {
    const h = p.numHeads;
    const q = splitHeads(dense(xq, p.wq, p.bq), h);
    const k = splitHeads(dense(xkv, p.wk, p.bk), h);
    const v = splitHeads(dense(xkv, p.wv, p.bv), h);
    const m = mask === undefined || mask.rank === 4 ? mask : mask.rank === 3 ? tf.expandDims(mask, 1) : mask;
    const r = scaledDotProductAttention(q, k, v, m);
    return { output: dense(mergeHeads(r.output), p.wo, p.bo), weights: r.weights };
  });
}
