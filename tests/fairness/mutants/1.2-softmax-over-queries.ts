/**
 * @planted mutant
 * @exercise 1.2
 * @bug takes the softmax over axis -2
 * @misconception softmax-query-axis
 * @also 2.3 the difference comes from your 1.2 scaledDotProductAttention — fix 1.2 first
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    let allowed: tf.Tensor | undefined;
    if (mask) {
      allowed = tf.cast(tf.notEqual(mask, 0), "float32");
      scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
    }
    const e = tf.exp(tf.sub(scores, tf.max(scores, -2, true)));
    let weights = tf.div(e, tf.sum(e, -2, true));
    if (allowed) weights = tf.mul(weights, allowed);
    return { output: tf.matMul(weights, v), weights };
  });
}
