/**
 * @planted alternative
 * @exercise 4.2
 * @style a weighted sum over positions with weight 1 at position 0 and 0 elsewhere
 * @near mean-pool
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  if (!(hidden instanceof tf.Tensor) || hidden.rank !== 3) throw new Error(`clsPool: expected hidden [B, T, d], got shape [${hidden?.shape}]`);
  const t = hidden.shape[1] as number;
  return tf.tidy(() => tf.sum(tf.mul(hidden, tf.reshape(tf.oneHot([0], t).asType("float32"), [1, t, 1])), 1));
}
