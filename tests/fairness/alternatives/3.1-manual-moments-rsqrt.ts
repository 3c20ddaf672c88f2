/**
 * @planted alternative
 * @exercise 3.1
 * @style computes the mean and variance by hand and multiplies by tf.rsqrt
 * @near wrong-axis
 * @near unbiased-variance
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../../../lib/support/checks";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const fn = "layerNorm";
  requireTensor(fn, "x", x, { minRank: 1, dtypes: ["float32"] });
  const d = x.shape[x.rank - 1];
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    requireTensor(fn, name, t, { rank: 1, dtypes: ["float32"] });
    if (t.shape[0] !== d) throw new LabInputError(`${fn}: ${name} ${fmtShape(t.shape)} does not match the width ${d} of x ${fmtShape(x.shape)}`);
  }
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const variance = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
    return tf.add(tf.mul(gamma, tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)))), beta);
  });
}
