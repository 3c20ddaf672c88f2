/**
 * @planted mutant
 * @exercise 1.2
 * @bug divides the scores by d_k instead of its square root
 * @misconception scale-by-dk
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const dk = q.shape[q.rank - 1];
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), dk);
    if (mask) {
      const allowed = tf.cast(tf.notEqual(mask, 0), "float32");
      scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
      const weights = tf.mul(tf.softmax(scores), allowed);
      return { output: tf.matMul(weights, v), weights };
    }
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
}
