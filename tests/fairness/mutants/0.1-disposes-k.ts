/**
 * @planted mutant
 * @exercise 0.1
 * @bug disposes k after using it, to tidy up
 * @category intact
 * @feedback dotProductScores disposed its input "k"
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const scores = tf.matMul(q, k, false, true);
  k.dispose();
  return scores;
}
