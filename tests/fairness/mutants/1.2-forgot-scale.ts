/**
 * @planted mutant
 * @exercise 1.2
 * @bug forgets to divide the scores by sqrt(d_k)
 * @misconception no-scale
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let scores = tf.matMul(q, k, false, true);
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
