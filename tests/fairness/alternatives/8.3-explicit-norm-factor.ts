/**
 * @planted alternative
 * @exercise 8.3
 * @style the norm factor exp(−‖x‖²/2) as a separate multiplication, inputs divided by Math.pow(d, 0.25), no max-subtraction for the queries, one stabilising constant for all keys of the batch, own checks
 * @near no-norm-term
 * @near unscaled
 */
import * as tf from "@tensorflow/tfjs";
import { performerFeatures } from "../../../lib/support/efficient";
import type { PerformerOptions } from "../../../lib/support/types";

export function performerAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: PerformerOptions): tf.Tensor {
  const { numFeatures, seed } = options;
  if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new Error(`performerAttention: numFeatures must be at least 1, got ${numFeatures}`);
  if (!Number.isInteger(seed) || seed === 0) throw new Error(`performerAttention: seed must be a non-zero integer, got ${seed}`);
  if (q.shape[q.rank - 1] !== k.shape[k.rank - 1] || q.rank !== k.rank) throw new Error(`performerAttention: q [${q.shape}] and k [${k.shape}] do not fit`);
  const d = q.shape[q.rank - 1];
  const w = performerFeatures(numFeatures, d, seed);
  const out = tf.tidy(() => {
    const features = (x: tf.Tensor, stabilise: boolean) => {
      const xs = tf.div(x, Math.pow(d, 0.25));
      const proj = tf.matMul(xs, tf.broadcastTo(w, [...xs.shape.slice(0, -2), numFeatures, d]), false, true); // [..., T, m]
      const shift = stabilise ? tf.max(proj) : tf.scalar(0);
      const normFactor = tf.exp(tf.mul(tf.sum(tf.square(xs), -1, true), -0.5)); // [..., T, 1]
      return tf.mul(tf.mul(tf.exp(tf.sub(proj, shift)), normFactor), 1 / Math.sqrt(numFeatures));
    };
    const qf = features(q, false);
    const kf = features(k, true);
    const kv = tf.matMul(kf, v, true, false); // [..., m, dv]
    const ksum = tf.sum(kf, -2); // [..., m]
    const num = tf.matMul(qf, kv);
    const den = tf.sum(tf.mul(qf, tf.expandDims(ksum, -2)), -1, true); // [..., Tq, 1]
    return tf.div(num, den);
  });
  w.dispose();
  return out;
}
