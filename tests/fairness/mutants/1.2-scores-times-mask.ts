/**
 * @planted mutant
 * @exercise 1.2
 * @bug multiplies the scores by the mask, so blocked keys get score 0, not a large negative one
 * @feedback give weight to keys the mask blocks (mask = 0)
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (mask) scores = tf.mul(scores, mask);
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
}
