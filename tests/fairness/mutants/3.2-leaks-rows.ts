/**
 * @planted mutant
 * @exercise 3.2
 * @bug reshapes x outside tf.tidy
 * @category leaks
 * @feedback feedForward leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import type { FeedForwardParams } from "../../../lib/support/types";

export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  const [b, t, d] = x.shape;
  const rows = tf.reshape(x, [b * t, d]);
  return tf.tidy(() => {
    const hidden = tf.relu(tf.add(tf.matMul(rows, params.w1), params.b1));
    return tf.reshape(tf.add(tf.matMul(hidden, params.w2), params.b2), [b, t, d]);
  });
}
