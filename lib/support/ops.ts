/**
 * Fast paths for tfjs-wasm, where they matter. Same results as the plain tfjs op (up to float
 * rounding), and differentiable, so every notebook can use them for training too.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "./checks";
import { matMul as fastMatMul } from "./fast/ops";

/**
 * Batched matrix product a[..., m, k] · b[..., k, n] → [..., m, n] (either side optionally
 * transposed in its last two axes), with the same leading dims on both sides.
 * Equal to tf.matMul(a, b, transposeA, transposeB). On wasm it runs the fast path's SIMD kernel
 * (lib/support/fast), which reads transposed operands in place: tfjs-wasm's own batched kernel
 * runs a scalar loop (~1.6 GFLOP/s) and only its 2-D products without transposes reach XNNPACK.
 * The kernel also keeps no cache keyed by buffer (XNNPACK's cache can return a stale product
 * when one buffer is used as `b` under two shapes; tests/unit/support.test.ts shows it).
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const batch = a.shape.slice(0, -2);
  if (a.rank < 2 || a.rank !== b.rank || b.shape.slice(0, -2).some((d, i) => d !== batch[i])) {
    throw new LabInputError(`batchMatMul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must have rank >= 2 and the same leading dims`);
  }
  const k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (k !== kb) {
    throw new LabInputError(`batchMatMul: inner dimensions differ: a ${fmtShape(a.shape)}${transposeA ? "ᵀ" : ""} · b ${fmtShape(b.shape)}${transposeB ? "ᵀ" : ""} (${k} vs ${kb})`);
  }
  if (tf.getBackend() !== "wasm" || a.dtype !== "float32" || b.dtype !== "float32") return tf.matMul(a, b, transposeA, transposeB);
  return fastMatMul(a, b, transposeA, transposeB);
}

/**
 * Rows start … start + size − 1 of x along its sequence axis (axis −2): [..., size, d].
 *
 * Equal to tf.slice, but its cost is that of the rows taken, not of the whole of x: tfjs-wasm's
 * Slice kernel (4.22) first copies ALL of x out of the wasm heap (backend.readSync), so a loop
 * that takes n/c chunks of c rows with tf.slice copies n²/c values, which turns a linear-time
 * chunked algorithm (tiled attention's blocks, a sliding window's chunks) quadratic at large n.
 * A gather of the row indices reads only those rows.
 */
export function sequenceRows(x: tf.Tensor, start: number, size: number): tf.Tensor {
  const axis = x.rank - 2;
  if (x.rank < 2 || !Number.isInteger(start) || !Number.isInteger(size) || start < 0 || size < 1 || start + size > x.shape[axis]) {
    throw new LabInputError(`sequenceRows: rows ${start} … ${start + size - 1} of x ${fmtShape(x.shape)} along axis ${axis} do not exist (need 0 ≤ start, 1 ≤ size, start + size ≤ ${x.shape[axis] ?? "n"})`);
  }
  return tf.tidy(() => tf.gather(x, tf.range(start, start + size, 1, "int32"), axis));
}
