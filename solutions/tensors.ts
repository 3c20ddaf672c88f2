/**
 * Reference solutions for notebook 00 (setup and tensors).
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireTensor } from "../lib/support/checks";

/**
 * Exercise 0.1: every query dotted with every key, batched.
 *
 * q: [..., Tq, d], k: [..., Tk, d] (same leading dims) → scores: [..., Tq, Tk],
 * scores[..., i, j] = Σ_c q[..., i, c] · k[..., j, c].
 */
export function dotProductScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const fn = "dotProductScores";
  requireTensor(fn, "q", q, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tq, d]" });
  requireTensor(fn, "k", k, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tk, d]" });
  if (q.rank !== k.rank || q.shape.slice(0, -2).some((d, i) => d !== k.shape[i])) {
    throw new LabInputError(
      `${fn}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} must have the same leading (batch) dimensions`,
    );
  }
  if (q.shape[q.rank - 1] !== k.shape[k.rank - 1]) {
    throw new LabInputError(
      `${fn}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} must have the same last dimension d ` +
        `(got ${q.shape[q.rank - 1]} and ${k.shape[k.rank - 1]})`,
    );
  }
  return tf.matMul(q, k, false, true); // [..., Tq, d] x [..., d, Tk] -> [..., Tq, Tk]
}
