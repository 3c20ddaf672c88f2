/**
 * @planted alternative
 * @exercise 1.2
 * @style scales the scores (not q), blocks with tf.where and -1e9, then zeroes fully masked rows with tf.where
 * @near no-scale
 * @near scale-by-dk
 * @near uniform-empty-rows
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireBroadcastsTo, requireTensor } from "../../../lib/support/checks";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const fn = "scaledDotProductAttention";
  requireTensor(fn, "q", q, { minRank: 2, dtypes: ["float32"] });
  requireTensor(fn, "k", k, { minRank: 2, dtypes: ["float32"] });
  requireTensor(fn, "v", v, { minRank: 2, dtypes: ["float32"] });
  const sameBatch = (t: tf.Tensor) => t.rank === q.rank && t.shape.slice(0, -2).every((d, i) => d === q.shape[i]);
  if (!sameBatch(k) || k.shape[k.rank - 1] !== q.shape[q.rank - 1]) {
    throw new LabInputError(`${fn}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} are incompatible`);
  }
  if (!sameBatch(v) || v.shape[v.rank - 2] !== k.shape[k.rank - 2]) {
    throw new LabInputError(`${fn}: v ${fmtShape(v.shape)} does not match k ${fmtShape(k.shape)}`);
  }
  const scoreShape = [...q.shape.slice(0, -1), k.shape[k.rank - 2]];
  if (mask !== undefined) {
    requireTensor(fn, "mask", mask);
    requireBroadcastsTo(fn, "mask", mask.shape, scoreShape, "scores");
  }
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    let keep: tf.Tensor | undefined;
    if (mask !== undefined) {
      keep = tf.broadcastTo(tf.notEqual(mask, 0), scoreShape);
      scores = tf.where(keep, scores, tf.fill(scoreShape, -1e9));
    }
    let weights = tf.softmax(scores);
    if (keep) weights = tf.where(keep, weights, tf.zerosLike(weights));
    return { output: tf.matMul(weights, v), weights };
  });
}
