/**
 * @planted mutant
 * @exercise 0.1
 * @bug remembers the last result and returns it again for the same q and k
 * @category fresh
 * @feedback returned the same tensor object on two calls with the same arguments
 */
import * as tf from "@tensorflow/tfjs";

let last: { q: tf.Tensor; k: tf.Tensor; scores: tf.Tensor } | undefined;

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  if (last && last.q === q && last.k === k && !last.scores.isDisposed) return last.scores;
  const scores = tf.matMul(q, k, false, true);
  last = { q, k, scores };
  return scores;
}
