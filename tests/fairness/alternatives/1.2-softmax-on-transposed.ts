/**
 * @planted alternative
 * @exercise 1.2
 * @style computes kᵀ·q (keys first), takes its softmax over axis -2, and transposes back; a 0/1 multiplicative mask and a -1e9 offset
 * @near softmax-query-axis
 * @near v-transposed
 * @near kv-swapped
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireBroadcastsTo, requireTensor } from "../../../lib/support/checks";
import type { AttentionResult } from "../../../lib/support/types";
import { softmax } from "../../../lib/attention";

function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = [...Array(t.rank).keys()];
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return tf.transpose(t, perm);
}

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  requireTensor("scaledDotProductAttention", "q", q, { minRank: 2 });
  requireTensor("scaledDotProductAttention", "k", k, { minRank: 2 });
  requireTensor("scaledDotProductAttention", "v", v, { minRank: 2 });
  const lead = (t: tf.Tensor) => t.shape.slice(0, -2).join(",");
  if (lead(q) !== lead(k) || q.rank !== k.rank || q.shape[q.rank - 1] !== k.shape[k.rank - 1]) {
    throw new LabInputError(`scaledDotProductAttention: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} do not line up`);
  }
  if (lead(v) !== lead(k) || v.rank !== k.rank || v.shape[v.rank - 2] !== k.shape[k.rank - 2]) {
    throw new LabInputError(`scaledDotProductAttention: v ${fmtShape(v.shape)} does not line up with k ${fmtShape(k.shape)}`);
  }
  const scoreShape = [...q.shape.slice(0, -1), k.shape[k.rank - 2]];
  if (mask) requireBroadcastsTo("scaledDotProductAttention", "mask", mask.shape, scoreShape, "the scores");
  return tf.tidy(() => {
    // [..., Tk, Tq]: one column per query.
    let keysByQueries = tf.div(tf.matMul(k, q, false, true), Math.sqrt(q.shape[q.rank - 1]));
    let allowed: tf.Tensor | undefined;
    if (mask) {
      allowed = swapLastTwo(tf.broadcastTo(tf.cast(tf.notEqual(mask, 0), "float32"), scoreShape));
      keysByQueries = tf.add(tf.mul(keysByQueries, allowed), tf.mul(tf.sub(1, allowed), -1e9));
    }
    let w = softmax(keysByQueries, -2);
    if (allowed) w = tf.mul(w, allowed);
    const weights = swapLastTwo(w);
    return { output: tf.matMul(weights, v), weights };
  });
}
