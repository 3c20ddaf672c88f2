/**
 * @planted alternative
 * @exercise 8.2
 * @style projects along the sequence axis by moving it last (kᵀ·Eᵀ), its own softmax attention, one projection helper for both (each with its own matrix), manual dispose
 * @near e-for-values
 */
import * as tf from "@tensorflow/tfjs";
import type { LinformerProjections } from "../../../lib/support/types";

/** P·x along axis −2: transpose x to [..., d, n], multiply by Pᵀ [n, kp], transpose back. */
function alongSequence(P: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const perm = [...x.shape.keys()];
    [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
    const xt = tf.transpose(x, perm); // [..., d, n]
    const flat = tf.reshape(xt, [-1, x.shape[x.rank - 2]]); // [(...)·d, n]
    const projected = tf.matMul(flat, P, false, true); // [(...)·d, kp]
    const back = tf.reshape(projected, [...xt.shape.slice(0, -1), P.shape[0]]); // [..., d, kp]
    return tf.transpose(back, perm); // [..., kp, d]
  });
}

export function linformerAttention(projections: LinformerProjections, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const { E, F } = projections;
  const n = k.shape[k.rank - 2];
  if (E.rank !== 2 || E.shape[1] !== n) throw new Error(`linformerAttention: E has shape [${E.shape}], it needs [kp, ${n}] for keys of length ${n}`);
  if (F.rank !== 2 || F.shape[0] !== E.shape[0] || F.shape[1] !== n) throw new Error(`linformerAttention: F has shape [${F.shape}], it needs the shape of E [${E.shape}]`);
  const kp = alongSequence(E, k);
  const vp = alongSequence(F, v);
  const scores = tf.matMul(q, kp, false, true);
  const scaled = tf.mul(scores, 1 / Math.sqrt(q.shape[q.rank - 1]));
  const weights = tf.softmax(scaled);
  const out = tf.matMul(weights, vp);
  tf.dispose([kp, vp, scores, scaled, weights]);
  return out;
}
