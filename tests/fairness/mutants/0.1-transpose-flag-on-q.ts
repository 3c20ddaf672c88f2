/**
 * @planted mutant
 * @exercise 0.1
 * @bug sets the transpose flag of q instead of k
 * @misconception transpose-q
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  return tf.matMul(q, k, true, false);
}
