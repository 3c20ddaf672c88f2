/**
 * @planted mutant
 * @exercise 1.2
 * @bug expands a [T,T] mask to the batch outside tf.tidy (the only leak)
 * @category leaks
 * @feedback leaves tensors behind on every call
 * @feedback per call with mask [T,T]
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  let m = mask;
  if (mask && mask.rank === 2 && q.rank > 2) m = tf.expandDims(mask, 0); // make the batch axis explicit
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (m) {
      const allowed = tf.cast(tf.notEqual(m, 0), "float32");
      scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
      const weights = tf.mul(tf.softmax(scores), allowed);
      return { output: tf.matMul(weights, v), weights };
    }
    const weights = tf.softmax(scores);
    return { output: tf.matMul(weights, v), weights };
  });
}
