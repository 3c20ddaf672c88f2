/**
 * @planted mutant
 * @exercise 1.2
 * @bug blocks where the mask is 1 and attends where it is 0
 * @misconception mask-inverted
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (!mask) {
      const weights = tf.softmax(scores);
      return { output: tf.matMul(weights, v), weights };
    }
    const blocked = tf.cast(tf.notEqual(mask, 0), "float32"); // 1 where we must not look
    const allowed = tf.sub(1, blocked);
    scores = tf.add(tf.mul(scores, allowed), tf.mul(blocked, -1e9));
    const weights = tf.mul(tf.softmax(scores), allowed);
    return { output: tf.matMul(weights, v), weights };
  });
}
