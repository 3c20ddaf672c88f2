/**
 * @planted mutant
 * @exercise 1.2
 * @bug blocks with -Infinity, so a fully masked row becomes NaN
 * @misconception neg-infinity
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (mask) scores = tf.where(tf.cast(tf.broadcastTo(mask, scores.shape), "bool"), scores, tf.fill(scores.shape, -Infinity));
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
}
