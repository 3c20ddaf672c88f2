/**
 * @planted mutant
 * @exercise 1.2
 * @bug masks the scores with -1e9 but leaves fully masked rows uniform
 * @misconception uniform-empty-rows
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (mask) {
      const m = tf.cast(tf.notEqual(mask, 0), "float32");
      scores = tf.add(tf.mul(scores, m), tf.mul(tf.sub(1, m), -1e9));
    }
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
}
