/**
 * @planted mutant
 * @exercise 0.1
 * @bug multiplies q by k without transposing k
 * @misconception no-transpose
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  return tf.matMul(q, k);
}
