/**
 * @planted alternative
 * @exercise 3.1
 * @style tf.moments without keepDims, then expandDims to broadcast; eps passed through tf.scalar; own error wording
 * @near eps-outside-sqrt
 * @near no-eps
 * @near eps-ignored
 */
import * as tf from "@tensorflow/tfjs";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  if (!(x instanceof tf.Tensor) || !(gamma instanceof tf.Tensor) || !(beta instanceof tf.Tensor)) throw new Error("layerNorm: x, gamma and beta must be tensors");
  const d = x.shape[x.rank - 1];
  if (gamma.size !== d || beta.size !== d) {
    throw new Error(`layerNorm: x has ${d} features per position but gamma has ${gamma.size} and beta ${beta.size}`);
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, x.rank - 1);
    const std = tf.sqrt(tf.add(variance, tf.scalar(eps)));
    const normed = tf.div(tf.sub(x, tf.expandDims(mean, -1)), tf.expandDims(std, -1));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}
