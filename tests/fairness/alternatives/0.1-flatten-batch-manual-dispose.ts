/**
 * @planted alternative
 * @exercise 0.1
 * @style folds the batch dims into one, multiplies with tf.matMul(…, false, true), reshapes back, and disposes by hand instead of tf.tidy
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../../../lib/support/checks";

export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  requireTensor("dotProductScores", "q", q, { minRank: 2 });
  requireTensor("dotProductScores", "k", k, { minRank: 2 });
  const batch = q.shape.slice(0, -2);
  const [tq, d] = q.shape.slice(-2);
  const [tk, dk] = k.shape.slice(-2);
  if (d !== dk || k.rank !== q.rank || k.shape.slice(0, -2).some((s, i) => s !== batch[i])) {
    throw new LabInputError(`dotProductScores: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} need the same batch dims and the same d`);
  }
  const q3 = tf.reshape(q, [-1, tq, d]);
  const k3 = tf.reshape(k, [-1, tk, d]);
  const s3 = tf.matMul(q3, k3, false, true);
  const scores = tf.reshape(s3, [...batch, tq, tk]);
  q3.dispose();
  k3.dispose();
  s3.dispose();
  return scores;
}
