/**
 * @planted mutant
 * @exercise 3.2
 * @bug memoises the hidden layer per input x without tf.keep: a caller's tf.tidy frees it and the next call with the same x fails
 * @category fresh
 * @feedback feedForward failed on a call with the same arguments
 */
import * as tf from "@tensorflow/tfjs";
import type { FeedForwardParams } from "../../../lib/support/types";

const hiddenFor = new WeakMap<tf.Tensor, tf.Tensor>();

export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  const [b, t, d] = x.shape;
  let hidden = hiddenFor.get(x);
  if (!hidden) {
    hidden = tf.relu(tf.add(tf.matMul(tf.reshape(x, [b * t, d]), params.w1), params.b1));
    hiddenFor.set(x, hidden);
  }
  const h = hidden;
  return tf.tidy(() => tf.reshape(tf.add(tf.matMul(h, params.w2), params.b2), [b, t, d]));
}
