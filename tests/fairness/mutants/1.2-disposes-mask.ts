/**
 * @planted mutant
 * @exercise 1.2
 * @bug disposes the mask after using it
 * @category intact
 * @feedback scaledDotProductAttention disposed its input "mask"
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const result = tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (mask) {
      const allowed = tf.cast(tf.notEqual(mask, 0), "float32");
      scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
      const weights = tf.mul(tf.softmax(scores), allowed);
      return { output: tf.matMul(weights, v), weights };
    }
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
  mask?.dispose();
  return result;
}
