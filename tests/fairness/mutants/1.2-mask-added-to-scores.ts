/**
 * @planted mutant
 * @exercise 1.2
 * @bug adds the 0/1 mask to the scores instead of blocking
 * @feedback give weight to keys the mask blocks (mask = 0)
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (mask) scores = tf.add(scores, mask);
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
}
