/**
 * @planted alternative
 * @exercise 1.2
 * @style blocks scores with -Infinity and replaces the NaN of fully masked rows by 0; calls its own dotProductScores (0.1); manual dispose
 * @near neg-infinity
 * @near mask-inverted
 */
import * as tf from "@tensorflow/tfjs";
import { requireBroadcastsTo, requireTensor } from "../../../lib/support/checks";
import type { AttentionResult } from "../../../lib/support/types";
import { dotProductScores } from "../../../lib/tensors";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const name = "scaledDotProductAttention";
  requireTensor(name, "v", v, { minRank: 2 });
  let scores: tf.Tensor;
  try {
    scores = dotProductScores(q, k);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  if (v.rank !== k.rank || v.shape[v.rank - 2] !== k.shape[k.rank - 2] || v.shape.slice(0, -2).some((d, i) => d !== k.shape[i])) {
    scores.dispose();
    throw new Error(`${name}: v has shape [${v.shape}] but k has shape [${k.shape}]`);
  }
  if (mask) {
    try {
      requireBroadcastsTo(name, "mask", mask.shape, scores.shape, "the scores");
    } catch (e) {
      scores.dispose();
      throw e;
    }
  }
  const scaled = tf.div(scores, Math.sqrt(q.shape[q.rank - 1]));
  scores.dispose();
  if (!mask) {
    const weights = tf.softmax(scaled);
    scaled.dispose();
    return { output: tf.matMul(weights, v), weights };
  }
  const notZero = tf.notEqual(mask, 0);
  const keep = tf.broadcastTo(notZero, scaled.shape);
  const minusInf = tf.fill(scaled.shape, -Infinity);
  const blocked = tf.where(keep, scaled, minusInf);
  const raw = tf.softmax(blocked);
  const nan = tf.isNaN(raw);
  const zeros = tf.zerosLike(raw);
  const weights = tf.where(nan, zeros, raw);
  const output = tf.matMul(weights, v);
  tf.dispose([scaled, notZero, keep, minusInf, blocked, raw, nan, zeros]);
  return { output, weights };
}
