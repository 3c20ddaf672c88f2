/**
 * @planted alternative
 * @exercise 3.1
 * @style variance as mean(x²) − mean(x)², normalised by division; disposes by hand
 */
import * as tf from "@tensorflow/tfjs";
import { requireTensor } from "../../../lib/support/checks";

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  requireTensor("layerNorm", "x", x, { minRank: 1 });
  requireTensor("layerNorm", "gamma", gamma, { rank: 1 });
  requireTensor("layerNorm", "beta", beta, { rank: 1 });
  const d = x.shape[x.rank - 1];
  if (gamma.shape[0] !== d || beta.shape[0] !== d) throw new Error(`layerNorm: gamma [${gamma.shape}] and beta [${beta.shape}] must have x's width ${d}`);
  const mean = tf.mean(x, -1, true);
  const sq = tf.square(x);
  const meanSq = tf.mean(sq, -1, true);
  const meanSquared = tf.square(mean);
  const variance = tf.sub(meanSq, meanSquared);
  const centred = tf.sub(x, mean);
  const shiftedVar = tf.add(variance, eps);
  const denom = tf.sqrt(shiftedVar);
  const normed = tf.div(centred, denom);
  const scaled = tf.mul(normed, gamma);
  const out = tf.add(scaled, beta);
  tf.dispose([mean, sq, meanSq, meanSquared, variance, centred, shiftedVar, denom, normed, scaled]);
  return out;
}
