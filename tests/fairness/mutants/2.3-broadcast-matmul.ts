/**
 * @planted mutant
 * @exercise 2.3
 * @bug projects with a broadcasting tf.matMul([B, T, d], [d, d]), which tfjs 4.22 cannot differentiate
 * @feedback tf.grads through your multiHeadAttention failed
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../../../lib/attention";
import { mergeHeads, splitHeads } from "../../../lib/multihead";
import type { MultiHeadParams, MultiHeadResult } from "../../../lib/support/types";

function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const y = tf.matMul(x, w);
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
