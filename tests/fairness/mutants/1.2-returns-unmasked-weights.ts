/**
 * @planted mutant
 * @exercise 1.2
 * @bug computes the output from the masked weights but returns the unmasked softmax as weights
 * @feedback give weight to keys the mask blocks (mask = 0)
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    const plain = tf.softmax(scores);
    if (!mask) return { output: tf.matMul(plain, v), weights: plain };
    const allowed = tf.cast(tf.notEqual(mask, 0), "float32");
    const masked = tf.mul(tf.softmax(tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9))), allowed);
    return { output: tf.matMul(masked, v), weights: plain };
  });
}
