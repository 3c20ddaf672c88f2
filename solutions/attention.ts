/**
 * Reference solutions for notebook 01 (scaled dot-product attention).
 */
import * as tf from "@tensorflow/tfjs";
import {
  fmtShape,
  LabInputError,
  requireBroadcastsTo,
  requireInt,
  requireTensor,
} from "../lib/support/checks";
import { batchMatMul } from "../lib/support/ops";
import type { AttentionResult } from "../lib/support/types";
export type { AttentionResult } from "../lib/support/types";

/**
 * Exercise 1.1: softmax along `axis`, numerically stable.
 *
 * Subtracting the maximum before exponentiating leaves the result unchanged
 * (softmax(x) = softmax(x - c)) and keeps exp() from overflowing at large logits.
 */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  requireTensor("softmax", "x", x, { minRank: 1, dtypes: ["float32"] });
  if (!Number.isInteger(axis) || axis < -x.rank || axis >= x.rank) {
    throw new LabInputError(`softmax: argument "axis" must be an integer in [${-x.rank}, ${x.rank - 1}] for x ${fmtShape(x.shape)}, got ${axis}`);
  }
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, axis, true));
    const e = tf.exp(shifted);
    return tf.div(e, tf.sum(e, axis, true));
  });
}

/**
 * Exercise 1.2: Attention(Q, K, V) = softmax(Q Kᵀ / sqrt(d_k)) V.
 *
 * q: [..., Tq, dk], k: [..., Tk, dk], v: [..., Tk, dv] (same leading dims).
 * mask (optional): broadcastable to [..., Tq, Tk]; 1 = may attend, 0 = blocked.
 * A query whose every key is blocked gets all-zero weights and a zero output
 * (it has nothing to look at), rather than NaN or a uniform average.
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask?: tf.Tensor,
): AttentionResult {
  const fn = "scaledDotProductAttention";
  requireTensor(fn, "q", q, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tq, dk]" });
  requireTensor(fn, "k", k, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tk, dk]" });
  requireTensor(fn, "v", v, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tk, dv]" });
  const batch = q.shape.slice(0, -2);
  const [tq, dk] = q.shape.slice(-2);
  const [tk, dkK] = k.shape.slice(-2);
  if (dk !== dkK) {
    throw new LabInputError(`${fn}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} must have the same last dimension d_k (got ${dk} and ${dkK})`);
  }
  if (k.rank !== q.rank || k.shape.slice(0, -2).some((d, i) => d !== batch[i])) {
    throw new LabInputError(`${fn}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} must have the same leading (batch) dimensions`);
  }
  if (v.rank !== q.rank || v.shape.slice(0, -2).some((d, i) => d !== batch[i]) || v.shape[v.rank - 2] !== tk) {
    throw new LabInputError(`${fn}: v ${fmtShape(v.shape)} must be [..., Tk, dv] with the batch dimensions of q and Tk = ${tk} from k ${fmtShape(k.shape)}`);
  }
  if (mask !== undefined) {
    requireTensor(fn, "mask", mask, { pattern: "(1 = attend, 0 = blocked)" });
    requireBroadcastsTo(fn, "mask", mask.shape, [...batch, tq, tk], "the scores [..., Tq, Tk]");
  }
  return tf.tidy(() => {
    const scaled = tf.mul(q, 1 / Math.sqrt(dk)); // scaling q is cheaper than scaling the [Tq, Tk] scores
    // batchMatMul(a, b) = tf.matMul(a, b), several times faster on wasm at attention sizes.
    let scores = batchMatMul(scaled, k, false, true); // [..., Tq, Tk]
    // tf.softmax computes exactly our softmax (exercise 1.1) on the last axis, as one fused,
    // numerically stable kernel: about 10x faster than five separate ops on wasm.
    if (mask === undefined) {
      const weights = tf.softmax(scores);
      return { output: batchMatMul(weights, v), weights }; // [..., Tq, dv]
    }
    const allowed = tf.cast(tf.notEqual(mask, 0), "float32"); // broadcastable to [..., Tq, Tk]
    // Blocked scores become -1e9: exp underflows to exactly 0, with no -Infinity - -Infinity = NaN.
    scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
    // Multiplying by `allowed` zeroes rows in which every key is blocked (softmax made them uniform).
    const weights = tf.mul(tf.softmax(scores), allowed);
    return { output: batchMatMul(weights, v), weights };
  });
}

/** Exercise 1.3: [n, n] float32 mask, 1 on and below the diagonal: position i may attend to j <= i. */
export function causalMask(n: number): tf.Tensor2D {
  requireInt("causalMask", "n", n, 1);
  return tf.tidy(() => tf.linalg.bandPart(tf.ones([n, n]), -1, 0) as tf.Tensor2D);
}

/**
 * Exercise 1.4: padding mask for a batch of sequences padded to `maxLen`.
 *
 * lengths: B true lengths (each in [0, maxLen]) → [B, 1, maxLen] float32,
 * mask[b, 0, j] = 1 if j < lengths[b] else 0. The middle 1 lets it broadcast
 * against scores [B, Tq, Tk] with Tk = maxLen (and [B, 1, 1, maxLen]-style via reshape for heads).
 */
export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  const fn = "paddingMask";
  requireInt(fn, "maxLen", maxLen, 1);
  if (!Array.isArray(lengths) || lengths.length === 0) {
    throw new LabInputError(`${fn}: argument "lengths" must be a non-empty array of integers, got ${lengths === null ? "null" : typeof lengths}`);
  }
  lengths.forEach((len, b) => requireInt(fn, `lengths[${b}]`, len, 0, maxLen));
  return tf.tidy(() => {
    const positions = tf.range(0, maxLen, 1, "int32").reshape([1, 1, maxLen]); // [1, 1, maxLen]
    const lens = tf.tensor1d(lengths as number[], "int32").reshape([lengths.length, 1, 1]); // [B, 1, 1]
    return tf.cast(tf.less(positions, lens), "float32") as tf.Tensor3D; // [B, 1, maxLen]
  });
}
