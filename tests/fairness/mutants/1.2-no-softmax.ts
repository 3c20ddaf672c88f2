/**
 * @planted mutant
 * @exercise 1.2
 * @bug uses the scaled scores as the weights (no softmax)
 * @misconception unnormalised
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  return tf.tidy(() => {
    let weights = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (mask) weights = tf.mul(weights, tf.cast(tf.notEqual(mask, 0), "float32"));
    return { output: tf.matMul(weights, v), weights };
  });
}
