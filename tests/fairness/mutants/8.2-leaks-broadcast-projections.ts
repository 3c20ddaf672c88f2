/**
 * @planted mutant
 * @exercise 8.2
 * @bug broadcasts E and F to the batch outside tf.tidy and never disposes them
 * @category leaks
 * @feedback leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import type { LinformerProjections } from "../../../lib/support/types";
import { scaledDotProductAttention } from "../../../lib/attention";

export function linformerAttention(projections: LinformerProjections, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const lead = k.shape.slice(0, -2);
  const Eb = tf.broadcastTo(projections.E, [...lead, ...projections.E.shape]);
  const Fb = tf.broadcastTo(projections.F, [...lead, ...projections.F.shape]);
  return tf.tidy(() => scaledDotProductAttention(q, tf.matMul(Eb, k), tf.matMul(Fb, v)).output);
}
