/**
 * @planted mutant
 * @exercise 8.3
 * @bug returns Q′(K′ᵀV) without dividing by the normaliser D = Q′(K′ᵀ1)
 * @feedback differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import { performerFeatures } from "../../../lib/support/efficient";
import type { PerformerOptions } from "../../../lib/support/types";

export function performerAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: PerformerOptions): tf.Tensor {
  const d = q.shape[q.rank - 1];
  const m = options.numFeatures;
  const omega = performerFeatures(m, d, options.seed);
  const out = tf.tidy(() => {
    const phi = (x: tf.Tensor, axes: number[]) => {
      const xs = tf.mul(x, 1 / Math.pow(d, 0.25));
      const lead = xs.shape.slice(0, -1);
      const wx = tf.reshape(tf.matMul(tf.reshape(xs, [-1, d]), omega, false, true), [...lead, m]);
      const e = tf.sub(wx, tf.mul(tf.sum(tf.square(xs), -1, true), 0.5));
      return tf.div(tf.exp(tf.sub(e, tf.max(e, axes, true))), Math.sqrt(m));
    };
    const qf = phi(q, [-1]);
    const kf = phi(k, [-2, -1]);
    return tf.matMul(qf, tf.matMul(kf, v, true, false));
  });
  omega.dispose();
  return out;
}
