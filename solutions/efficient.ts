/**
 * Reference solutions for notebook 08 (efficient attention): four ways around the [n, n] score
 * matrix of standard attention. None of them ever holds that matrix.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireAttentionInputs, requireInt, requireOptions, requireTensor } from "../lib/support/checks";
import { performerFeatures } from "../lib/support/efficient";
import { batchMatMul, sequenceRows } from "../lib/support/ops";
import type { LinformerProjections, PerformerOptions, SlidingWindowOptions, TiledAttentionOptions } from "../lib/support/types";
import { scaledDotProductAttention } from "./attention";
export type { LinformerProjections, PerformerOptions, SlidingWindowOptions, TiledAttentionOptions } from "../lib/support/types";

/**
 * Exercise 8.1: exact attention computed block by block (FlashAttention's forward pass).
 *
 * For each block of queries, the key blocks are visited one at a time, keeping per query a
 * running maximum m of the scores seen so far, the running sum l of exp(score − m) and the
 * running sum acc of exp(score − m)·v. When a new block raises the maximum to m′, everything
 * accumulated so far was measured against the old m, so l and acc are multiplied by
 * exp(m − m′) before the new block is added. At the end output = acc / l, which is exactly
 * softmax(q·kᵀ/√d)·v: only a [blockQ, blockK] piece of the scores exists at any time.
 */
export function tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: TiledAttentionOptions): tf.Tensor {
  const fn = "tiledAttention";
  const { batch, tq, tk, dk, dv } = requireAttentionInputs(fn, q, k, v);
  requireOptions(fn, "options", options);
  const blockQ = requireInt(fn, "options.blockQ", options.blockQ, 1);
  const blockK = requireInt(fn, "options.blockK", options.blockK, 1);
  if (options.causal !== undefined && typeof options.causal !== "boolean") {
    throw new LabInputError(`${fn}: argument "options.causal" must be true, false or left out, got ${typeof options.causal} ${String(options.causal)}`);
  }
  const causal = options.causal === true;
  if (causal && tq !== tk) {
    throw new LabInputError(`${fn}: options.causal needs as many queries as keys (self-attention), got q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)}`);
  }
  const blocks: tf.Tensor[] = [];
  for (let i0 = 0; i0 < tq; i0 += blockQ) {
    const bq = Math.min(blockQ, tq - i0);
    blocks.push(
      tf.tidy(() => {
        const qBlock = tf.mul(sequenceRows(q, i0, bq), 1 / Math.sqrt(dk)); // [..., bq, dk]
        let m = tf.fill([...batch, bq, 1], -Infinity); // running maximum of each query's scores
        let l = tf.zeros([...batch, bq, 1]); // running sum of exp(score − m)
        let acc = tf.zeros([...batch, bq, dv]); // running sum of exp(score − m)·v
        for (let j0 = 0; j0 < tk; j0 += blockK) {
          // Causal: once a key block starts after the block's last query, it and every later
          // block lie entirely in the future of all these queries.
          if (causal && j0 > i0 + bq - 1) break;
          const bk = Math.min(blockK, tk - j0);
          // A tidy per step: the step's scores are freed before the next step makes its own.
          const next = tf.tidy(() => {
            let s = batchMatMul(qBlock, sequenceRows(k, j0, bk), false, true); // [..., bq, bk]
            if (causal && j0 + bk - 1 > i0) {
              // The block crosses the diagonal: block key j for query i when j > i.
              const future = tf.greater(tf.range(j0, j0 + bk).reshape([1, bk]), tf.range(i0, i0 + bq).reshape([bq, 1]));
              s = tf.add(s, tf.mul(tf.cast(future, "float32"), -1e9));
            }
            const mNew = tf.maximum(m, tf.max(s, -1, true)); // [..., bq, 1]
            const p = tf.exp(tf.sub(s, mNew)); // [..., bq, bk]
            const rescale = tf.exp(tf.sub(m, mNew)); // exp(m − m′) ≤ 1; 0 at the first block (m = −∞)
            const lNew = tf.add(tf.mul(l, rescale), tf.sum(p, -1, true));
            const accNew = tf.add(tf.mul(acc, rescale), batchMatMul(p, sequenceRows(v, j0, bk))); // [..., bq, dv]
            return [mNew, lNew, accNew];
          });
          tf.dispose([m, l, acc]);
          [m, l, acc] = next;
        }
        return tf.div(acc, l); // [..., bq, dv]
      }),
    );
  }
  const output = tf.concat(blocks, -2); // [..., Tq, dv]
  tf.dispose(blocks);
  return output;
}

/**
 * Exercise 8.2: Linformer attention, softmax(Q (E K)ᵀ / √d) (F V).
 *
 * E and F [k, n] mix the n keys and the n values into k of each along the sequence axis, so the
 * scores are [..., Tq, k] instead of [..., Tq, n]: cost O(n·k) instead of O(n²).
 */
export function linformerAttention(projections: LinformerProjections, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const fn = "linformerAttention";
  const { batch, tk } = requireAttentionInputs(fn, q, k, v);
  requireOptions(fn, "projections", projections);
  const E = requireTensor(fn, "projections.E", projections.E, { rank: 2, dtypes: ["float32"], pattern: "[k, n]" });
  const F = requireTensor(fn, "projections.F", projections.F, { rank: 2, dtypes: ["float32"], pattern: "[k, n]" });
  if (E.shape[1] !== tk) {
    throw new LabInputError(`${fn}: projections.E ${fmtShape(E.shape)} must be [k, n] with n = ${tk}, the length of the keys k ${fmtShape(k.shape)}`);
  }
  if (F.shape[0] !== E.shape[0] || F.shape[1] !== tk) {
    throw new LabInputError(`${fn}: projections.F ${fmtShape(F.shape)} must be [k, n] = [${E.shape[0]}, ${tk}], like projections.E ${fmtShape(E.shape)}, for values v ${fmtShape(v.shape)}`);
  }
  const kp = E.shape[0];
  return tf.tidy(() => {
    // P·x along the sequence axis, for every leading index: [k, n]·[..., n, d] → [..., k, d].
    const project = (P: tf.Tensor, x: tf.Tensor) => batchMatMul(tf.broadcastTo(P, [...batch, kp, tk]), x);
    return scaledDotProductAttention(q, project(E, k), project(F, v)).output; // [..., Tq, dv]
  });
}

/**
 * φ(x) = exp(ωᵢᵀx − ‖x‖²/2) / √m for every feature i: x [..., T, d], omega [m, d] → [..., T, m].
 * `stabiliser` subtracts the largest exponent over the given axes first; a constant factor per
 * query (or one for all keys) cancels between the numerator and the normaliser.
 */
function positiveFeatures(x: tf.Tensor, omega: tf.Tensor, stabiliserAxes: number[]): tf.Tensor {
  return tf.tidy(() => {
    const [m, d] = omega.shape;
    const lead = x.shape.slice(0, -1);
    const projected = tf.reshape(batchMatMul(tf.reshape(x, [-1, d]), omega, false, true), [...lead, m]); // ωᵢᵀx
    const exponent = tf.sub(projected, tf.mul(tf.sum(tf.square(x), -1, true), 0.5));
    const shifted = tf.sub(exponent, tf.max(exponent, stabiliserAxes, true));
    return tf.mul(tf.exp(shifted), 1 / Math.sqrt(m));
  });
}

/**
 * Exercise 8.3: Performer attention (FAVOR+), D⁻¹ Q′ (K′ᵀ V) with D = diag(Q′ K′ᵀ 1).
 *
 * With x = q / d^¼ and y = k / d^¼ (so that xᵀy = qᵀk/√d), the positive random features φ of
 * performerFeatures' ω give E[φ(x)ᵀφ(y)] = exp(xᵀy): Q′ = φ(Q), K′ = φ(K) replace the [n, n]
 * matrix exp(QKᵀ/√d) by a product of [n, m] and [m, n] factors, multiplied right to left.
 */
export function performerAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: PerformerOptions): tf.Tensor {
  const fn = "performerAttention";
  const { dk } = requireAttentionInputs(fn, q, k, v);
  requireOptions(fn, "options", options);
  const m = requireInt(fn, "options.numFeatures", options.numFeatures, 1);
  if (!Number.isInteger(options.seed) || options.seed === 0) {
    throw new LabInputError(`${fn}: argument "options.seed" must be a non-zero integer, got ${typeof options.seed} ${String(options.seed)}`);
  }
  const omega = performerFeatures(m, dk, options.seed); // [m, dk]
  const output = tf.tidy(() => {
    const c = dk ** -0.25;
    const qf = positiveFeatures(tf.mul(q, c), omega, [-1]); // [..., Tq, m]
    // One constant for all keys of a batch entry: it must not differ between the keys.
    const kf = positiveFeatures(tf.mul(k, c), omega, [-2, -1]); // [..., Tk, m]
    const kv = batchMatMul(kf, v, true, false); // K′ᵀV: [..., m, dv]
    const numerator = batchMatMul(qf, kv); // Q′(K′ᵀV): [..., Tq, dv]
    const normaliser = batchMatMul(qf, tf.sum(kf, -2, true), false, true); // Q′(K′ᵀ1): [..., Tq, 1]
    return tf.div(numerator, normaliser);
  });
  omega.dispose();
  return output;
}

/**
 * Exercise 8.4: Longformer's attention: a sliding window plus symmetric global tokens.
 *
 * Query i sees keys j with |i − j| ≤ window; a global position g sees every key, and every query
 * sees key g. The queries are taken in chunks: a chunk of c queries needs only its c + 2·window
 * neighbouring keys and the global keys, so each chunk is a small masked attention and the whole
 * costs O(n·window) memory. Each global key enters a chunk once, from the global part (it is
 * masked out of the local part), and the global queries' rows are full attention over all keys.
 */
export function slidingWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: SlidingWindowOptions): tf.Tensor {
  const fn = "slidingWindowAttention";
  const { tq, tk } = requireAttentionInputs(fn, q, k, v);
  if (tq !== tk) {
    throw new LabInputError(`${fn}: q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} must have the same sequence length n (self-attention), got ${tq} and ${tk}`);
  }
  const n = tq;
  requireOptions(fn, "options", options);
  const w = options.window;
  if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > n) {
    throw new LabInputError(`${fn}: argument "options.window" must be an integer in [0, n] = [0, ${n}] for q ${fmtShape(q.shape)}, got ${typeof w} ${String(w)}`);
  }
  const globals = options.globalTokens ?? [];
  if (!Array.isArray(globals)) {
    throw new LabInputError(`${fn}: argument "options.globalTokens" must be an array of positions in [0, ${n}), got ${typeof globals}`);
  }
  globals.forEach((g, i) => requireInt(fn, `options.globalTokens[${i}]`, g, 0, n - 1));
  if (new Set(globals).size !== globals.length) {
    throw new LabInputError(`${fn}: argument "options.globalTokens" must not repeat a position, got [${globals.join(", ")}]`);
  }
  const isGlobal = new Set(globals);
  const chunk = Math.max(w, 16);
  return tf.tidy(() => {
    const kGlobal = globals.length > 0 ? tf.gather(k, globals, k.rank - 2) : undefined; // [..., G, dk]
    const vGlobal = globals.length > 0 ? tf.gather(v, globals, v.rank - 2) : undefined; // [..., G, dv]
    const rows: tf.Tensor[] = [];
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const c = Math.min(chunk, n - i0);
      const lo = Math.max(0, i0 - w);
      const hi = Math.min(n, i0 + c + w); // keys lo … hi − 1 cover every window of the chunk
      rows.push(
        tf.tidy(() => {
          // [c, (hi − lo) + G]: 1 where query i0 + a may attend to the key in column b.
          const allowed = new Float32Array(c * (hi - lo + globals.length));
          const width = hi - lo + globals.length;
          for (let a = 0; a < c; a++) {
            const i = i0 + a;
            for (let j = lo; j < hi; j++) if (Math.abs(i - j) <= w && !isGlobal.has(j)) allowed[a * width + (j - lo)] = 1;
            for (let g = 0; g < globals.length; g++) allowed[a * width + (hi - lo) + g] = 1;
          }
          const keys = kGlobal ? tf.concat([sequenceRows(k, lo, hi - lo), kGlobal], -2) : sequenceRows(k, lo, hi - lo);
          const values = vGlobal ? tf.concat([sequenceRows(v, lo, hi - lo), vGlobal], -2) : sequenceRows(v, lo, hi - lo);
          return scaledDotProductAttention(sequenceRows(q, i0, c), keys, values, tf.tensor2d(allowed, [c, width])).output; // [..., c, dv]
        }),
      );
    }
    const local = tf.concat(rows, -2); // [..., n, dv]
    tf.dispose(rows);
    if (globals.length === 0) return local;
    // The global queries attend to every key: full attention for those G rows only.
    const globalRows = scaledDotProductAttention(tf.gather(q, globals, q.rank - 2), k, v).output; // [..., G, dv]
    // Row i of the result: row n + (its index in globals) of [local; globalRows] if i is global, else row i.
    const pick = Array.from({ length: n }, (_, i) => (isGlobal.has(i) ? n + globals.indexOf(i) : i));
    return tf.gather(tf.concat([local, globalRows], -2), pick, q.rank - 2);
  });
}
