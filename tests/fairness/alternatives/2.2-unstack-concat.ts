/**
 * @planted alternative
 * @exercise 2.2
 * @style unstacks the heads (axis 1) and concatenates them on the feature axis
 * @near no-transpose
 */
import * as tf from "@tensorflow/tfjs";
import { requireTensor } from "../../../lib/support/checks";

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  requireTensor("mergeHeads", "x", x, { rank: 4, pattern: "[B, h, T, dh]" });
  return tf.tidy(() => tf.concat(tf.unstack(x, 1), 2));
}
