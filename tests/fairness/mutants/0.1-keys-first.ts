/**
 * @planted mutant
 * @exercise 0.1
 * @bug puts k first: k·qᵀ
 * @misconception k-times-q
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  // every key against every query
  return tf.matMul(k, q, false, true);
}
