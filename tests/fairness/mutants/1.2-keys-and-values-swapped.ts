/**
 * @planted mutant
 * @exercise 1.2
 * @bug compares q with v and averages k
 * @misconception kv-swapped
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, v, false, true), Math.sqrt(q.shape[q.rank - 1]));
    let allowed: tf.Tensor | undefined;
    if (mask) {
      allowed = tf.cast(tf.notEqual(mask, 0), "float32");
      scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
    }
    let weights = tf.softmax(scores);
    if (allowed) weights = tf.mul(weights, allowed);
    return { output: tf.matMul(weights, k), weights };
  });
}
