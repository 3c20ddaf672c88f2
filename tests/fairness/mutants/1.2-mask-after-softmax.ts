/**
 * @planted mutant
 * @exercise 1.2
 * @bug multiplies the weights by the mask after the softmax, without masking the scores
 * @misconception mask-after-softmax
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    let weights = tf.softmax(scores);
    if (mask) weights = tf.mul(weights, mask);
    return { output: tf.matMul(weights, v), weights };
  });
}
