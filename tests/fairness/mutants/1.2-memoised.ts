/**
 * @planted mutant
 * @exercise 1.2
 * @bug caches the result for the last (q, k, v, mask) and returns the same tensors again
 * @category fresh
 * @feedback returned the same tensor object on two calls with the same arguments
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";
let last: { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; mask?: tf.Tensor; result: AttentionResult } | undefined;

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  if (last && last.q === q && last.k === k && last.v === v && last.mask === mask && !last.result.output.isDisposed) return last.result;
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
  last = { q, k, v, mask, result };
  return result;
}
