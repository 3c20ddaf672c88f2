/**
 * Fast paths for tfjs-wasm, where they matter. Same results as the plain tfjs op (up to float
 * rounding), and differentiable, so every notebook can use them for training too.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "./checks";

/**
 * Per-matrix work (m·k·n) from which a loop of 2-D matMuls beats tfjs-wasm's batched kernel.
 * Measured on a 2-core machine: at [8,512,64]·[8,64,512] the batched kernel takes ~190 ms and
 * the loop ~22 ms (XNNPACK handles 2-D products without transposes); below ~65k multiply-adds
 * per matrix the loop's per-op overhead wins instead.
 */
const LOOP_MIN_WORK = 1 << 18;

/**
 * Batched matrix product a[..., m, k] · b[..., k, n] → [..., m, n] (either side optionally
 * transposed in its last two axes), with the same leading dims on both sides.
 * Equal to tf.matMul(a, b, transposeA, transposeB), several times faster on wasm for
 * attention-sized products.
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const batch = a.shape.slice(0, -2);
  if (a.rank < 2 || a.rank !== b.rank || b.shape.slice(0, -2).some((d, i) => d !== batch[i])) {
    throw new LabInputError(`batchMatMul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must have rank >= 2 and the same leading dims`);
  }
  const [m, k] = transposeA ? [a.shape[a.rank - 1], a.shape[a.rank - 2]] : [a.shape[a.rank - 2], a.shape[a.rank - 1]];
  const [kb, n] = transposeB ? [b.shape[b.rank - 1], b.shape[b.rank - 2]] : [b.shape[b.rank - 2], b.shape[b.rank - 1]];
  if (k !== kb) {
    throw new LabInputError(`batchMatMul: inner dimensions differ: a ${fmtShape(a.shape)}${transposeA ? "ᵀ" : ""} · b ${fmtShape(b.shape)}${transposeB ? "ᵀ" : ""} (${k} vs ${kb})`);
  }
  const count = batch.reduce((x, y) => x * y, 1);
  if (tf.getBackend() !== "wasm" || m * k * n < LOOP_MIN_WORK) {
    return tf.matMul(a, b, transposeA, transposeB);
  }
  if (count === 1) {
    // One matrix: a plain 2-D product. (Also required for training: tfjs's gradient of unstack
    // fails when there is a single slice, "Argument tensors passed to stack must be a Tensor[]".)
    return tf.tidy(() => {
      const a2 = a.reshape([a.shape[a.rank - 2], a.shape[a.rank - 1]]);
      const b2 = b.reshape([b.shape[b.rank - 2], b.shape[b.rank - 1]]);
      return tf.matMul(a2, b2, transposeA, transposeB).reshape([...batch, m, n]);
    });
  }
  return tf.tidy(() => {
    const swap = (x: tf.Tensor, t: boolean) => {
      const x3 = x.reshape([count, x.shape[x.rank - 2], x.shape[x.rank - 1]]);
      return t ? tf.transpose(x3, [0, 2, 1]) : x3; // explicit transposes: XNNPACK's fast path wants plain [m,k]·[k,n]
    };
    const as = tf.unstack(swap(a, transposeA));
    const bs = tf.unstack(swap(b, transposeB));
    const products = as.map((ai, i) => tf.matMul(ai, bs[i])); // each [m, n]
    return tf.stack(products).reshape([...batch, m, n]);
  });
}
