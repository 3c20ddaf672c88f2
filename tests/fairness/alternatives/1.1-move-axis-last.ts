/**
 * @planted alternative
 * @exercise 1.1
 * @style moves the axis to the end with tf.transpose, works on the last axis, moves it back; disposes by hand
 * @near max-over-last-axis
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  requireTensor("softmax", "x", x);
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= x.rank) throw new LabInputError(`softmax: bad axis ${axis} for rank ${x.rank}`);
  const perm = [...Array(x.rank).keys()].filter((i) => i !== a).concat([a]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const moved = tf.transpose(x, perm);
  const m = tf.max(moved, -1, true);
  const shifted = tf.sub(moved, m);
  const e = tf.exp(shifted);
  const s = tf.sum(e, -1, true);
  const p = tf.div(e, s);
  const out = tf.transpose(p, inverse);
  tf.dispose([moved, m, shifted, e, s, p]);
  return out;
}
