/**
 * @planted mutant
 * @exercise 1.2
 * @bug divides by the square root of the value width d_v instead of d_k
 * @feedback are the softmax of the reference's scores multiplied by a constant factor: your scores are scaled differently from the reference's
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const dv = v.shape[v.rank - 1];
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dv));
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
