/**
 * @planted alternative
 * @exercise 1.1
 * @style subtracts the global maximum instead of each slice's maximum (also stable for these inputs)
 * @near naive
 * @near no-keepdims
 * @near max-over-last-axis
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../../../lib/support/checks";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  requireTensor("softmax", "x", x, { minRank: 1, dtypes: ["float32"] });
  if (!Number.isInteger(axis) || axis < -x.rank || axis >= x.rank) {
    throw new LabInputError(`softmax: axis ${axis} is out of range for x ${fmtShape(x.shape)}`);
  }
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x)));
    return tf.div(e, tf.sum(e, axis, true));
  });
}
