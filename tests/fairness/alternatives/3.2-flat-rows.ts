/**
 * @planted alternative
 * @exercise 3.2
 * @style reshapes x to [B·T, d] rows, two tf.matMul + tf.relu, reshapes back
 * @near no-relu
 * @near relu-after-second
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../../../lib/support/checks";
import type { FeedForwardParams } from "../../../lib/support/types";

export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  requireTensor("feedForward", "x", x, { rank: 3 });
  const [b, t, d] = x.shape;
  const { w1, b1, w2, b2 } = params;
  const dff = w1.shape[1];
  if (w1.shape[0] !== d || b1.shape[0] !== dff || w2.shape[0] !== dff || w2.shape[1] !== d || b2.shape[0] !== d) {
    throw new LabInputError(`feedForward: w1 ${fmtShape(w1.shape)}, b1 ${fmtShape(b1.shape)}, w2 ${fmtShape(w2.shape)}, b2 ${fmtShape(b2.shape)} do not fit x ${fmtShape(x.shape)} (width ${d})`);
  }
  return tf.tidy(() => {
    const rows = tf.reshape(x, [b * t, d]);
    const hidden = tf.relu(tf.add(tf.matMul(rows, w1), b1));
    return tf.reshape(tf.add(tf.matMul(hidden, w2), b2), [b, t, d]);
  });
}
