/**
 * @planted alternative
 * @exercise 4.2
 * @style tf.gather of index 0 along the position axis, then squeeze; its own error
 * @near last-position
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  if (!(hidden instanceof tf.Tensor) || hidden.rank !== 3) throw new Error(`clsPool: hidden must be [B, T, d], got ${hidden instanceof tf.Tensor ? `[${hidden.shape.join(",")}]` : typeof hidden}`);
  return tf.tidy(() => tf.squeeze(tf.gather(hidden, [0], 1), [1]));
}
