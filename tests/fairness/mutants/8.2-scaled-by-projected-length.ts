/**
 * @planted mutant
 * @exercise 8.2
 * @bug writes its own attention and divides the scores by sqrt(k), the projected length, instead of sqrt(d_k)
 * @feedback differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import type { LinformerProjections } from "../../../lib/support/types";

export function linformerAttention(projections: LinformerProjections, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const { E, F } = projections;
  return tf.tidy(() => {
    const lead = k.shape.slice(0, -2);
    const Eb = tf.broadcastTo(E, [...lead, ...E.shape]);
    const Fb = tf.broadcastTo(F, [...lead, ...F.shape]);
    const kp = tf.matMul(Eb, k);
    const scores = tf.div(tf.matMul(q, kp, false, true), Math.sqrt(E.shape[0]));
    return tf.matMul(tf.softmax(scores), tf.matMul(Fb, v));
  });
}
