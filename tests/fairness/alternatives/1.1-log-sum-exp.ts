/**
 * @planted alternative
 * @exercise 1.1
 * @style exp(x - logSumExp(x)) with tf.logSumExp; errors worded differently
 * @near ignores-axis
 */
import * as tf from "@tensorflow/tfjs";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`softmax needs x to be a tf.Tensor, not ${typeof x}`);
  if (!Number.isInteger(axis) || axis >= x.rank || axis < -x.rank) {
    throw new RangeError(`softmax: there is no axis ${axis} in a tensor of rank ${x.rank}`);
  }
  return tf.tidy(() => tf.exp(tf.sub(x, tf.logSumExp(x, axis, true))));
}
