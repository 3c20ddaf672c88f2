/**
 * @planted mutant
 * @exercise 2.3
 * @bug writes its own per-head attention and scales by 1/sqrt(d) instead of 1/sqrt(d/h)
 * @misconception scale-sqrt-d
 */
import * as tf from "@tensorflow/tfjs";
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
    const d = xq.shape[2] as number;
    const q = splitHeads(dense(xq, p.wq, p.bq), h);
    const k = splitHeads(dense(xkv, p.wk, p.bk), h);
    const v = splitHeads(dense(xkv, p.wv, p.bv), h);
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
    let allowed: tf.Tensor | undefined;
    if (mask) {
      allowed = tf.cast(tf.notEqual(mask.rank === 3 ? tf.expandDims(mask, 1) : mask, 0), "float32");
      scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
    }
    let weights = tf.softmax(scores);
    if (allowed) weights = tf.mul(weights, allowed);
    return { output: dense(mergeHeads(tf.matMul(weights, v)), p.wo, p.bo), weights };
  });
}
