/**
 * @planted alternative
 * @exercise 0.1
 * @style broadcasts q [..., Tq, 1, d] against k [..., 1, Tk, d], multiplies and sums over d; own wording of errors
 * @near elementwise
 * @near k-times-q
 */
import * as tf from "@tensorflow/tfjs";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  if (!(q instanceof tf.Tensor) || !(k instanceof tf.Tensor)) {
    throw new Error("dotProductScores expects q and k to be tf.Tensor objects");
  }
  const sameBatch = q.rank === k.rank && q.shape.slice(0, -2).every((d, i) => d === k.shape[i]);
  if (q.rank < 2 || !sameBatch || q.shape[q.rank - 1] !== k.shape[k.rank - 1]) {
    throw new Error(`dotProductScores cannot pair q of shape ${q.shape.join("x")} with k of shape ${k.shape.join("x")}`);
  }
  return tf.tidy(() => tf.sum(tf.mul(tf.expandDims(q, -2), tf.expandDims(k, -3)), -1));
}
