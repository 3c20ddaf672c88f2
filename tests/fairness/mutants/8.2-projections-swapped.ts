/**
 * @planted mutant
 * @exercise 8.2
 * @bug projects the keys with F and the values with E
 * @feedback differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import type { LinformerProjections } from "../../../lib/support/types";
import { scaledDotProductAttention } from "../../../lib/attention";

export function linformerAttention(projections: LinformerProjections, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const { E, F } = projections;
  return tf.tidy(() => {
    const lead = k.shape.slice(0, -2);
    const Eb = tf.broadcastTo(E, [...lead, ...E.shape]);
    const Fb = tf.broadcastTo(F, [...lead, ...F.shape]);
    return scaledDotProductAttention(q, tf.matMul(Fb, k), tf.matMul(Eb, v)).output;
  });
}
