/**
 * @planted mutant
 * @exercise 3.2
 * @bug applies the ReLU before adding b1
 * @misconception relu-before-bias
 * @cause b1
 */
import * as tf from "@tensorflow/tfjs";
import type { FeedForwardParams } from "../../../lib/support/types";

export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  const [b, t, d] = x.shape;
  return tf.tidy(() => {
    const rows = tf.reshape(x, [b * t, d]);
    const hidden = tf.add(tf.relu(tf.matMul(rows, params.w1)), params.b1);
    return tf.reshape(tf.add(tf.matMul(hidden, params.w2), params.b2), [b, t, d]);
  });
}
