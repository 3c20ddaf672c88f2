/**
 * @planted alternative
 * @exercise 1.2
 * @style multiplies the softmax by the mask AFTER the softmax and renormalises each row (a tiny floor keeps empty rows at 0), using its own softmax (1.1)
 * @near mask-after-softmax
 * @near unnormalised
 */
import * as tf from "@tensorflow/tfjs";
import { softmax } from "../../../lib/attention";
import { fmtShape, LabInputError, requireBroadcastsTo, requireTensor } from "../../../lib/support/checks";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const fn = "scaledDotProductAttention";
  for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) requireTensor(fn, name, t, { minRank: 2 });
  const [tq, dk] = q.shape.slice(-2);
  const [tk] = k.shape.slice(-2);
  if (k.shape[k.rank - 1] !== dk || k.rank !== q.rank || k.shape.slice(0, -2).join() !== q.shape.slice(0, -2).join()) {
    throw new LabInputError(`${fn}: k ${fmtShape(k.shape)} does not fit q ${fmtShape(q.shape)}`);
  }
  if (v.rank !== q.rank || v.shape[v.rank - 2] !== tk || v.shape.slice(0, -2).join() !== q.shape.slice(0, -2).join()) {
    throw new LabInputError(`${fn}: v ${fmtShape(v.shape)} does not fit k ${fmtShape(k.shape)}`);
  }
  if (mask) requireBroadcastsTo(fn, "mask", mask.shape, [...q.shape.slice(0, -2), tq, tk], "the scores");
  return tf.tidy(() => {
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dk));
    if (!mask) {
      const w = softmax(scores);
      return { output: tf.matMul(w, v), weights: w };
    }
    // Rows of the softmax, masked, then rescaled so each row sums to 1 again; a row with nothing left stays 0.
    const kept = tf.mul(softmax(scores), tf.cast(tf.notEqual(mask, 0), "float32"));
    const weights = tf.div(kept, tf.maximum(tf.sum(kept, -1, true), 1e-30));
    return { output: tf.matMul(weights, v), weights };
  });
}
