/**
 * Misconception variants for the exercises in lib/efficient.ts (notebook 08): 8.1 tiledAttention,
 * 8.2 linformerAttention, 8.3 performerAttention, 8.4 slidingWindowAttention.
 *
 * Variants are self-contained (they never call the student's code nor the reference), wrap their
 * work in tf.tidy and skip input validation. 8.3's variants draw the same random features as
 * everyone (performerFeatures, lib/support/efficient.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { Misconception } from "../../../grader/types";
import type { EfficientModule } from "../checks/efficient";
import { performerFeatures } from "../../../lib/support/efficient";
import { fmtShape, LabInputError, requireAttentionInputs, requireInt, requireOptions } from "../../../lib/support/checks";
import { batchMatMul } from "../../../lib/support/ops";

type Tiled = EfficientModule["tiledAttention"];
type Linformer = EfficientModule["linformerAttention"];
type Performer = EfficientModule["performerAttention"];
type SlidingWindow = EfficientModule["slidingWindowAttention"];

/** Rows start … start + size − 1 along the sequence axis (−2). */
function rows(x: tf.Tensor, start: number, size: number): tf.Tensor {
  return tf.slice(x, x.shape.map((_, i) => (i === x.rank - 2 ? start : 0)), x.shape.map((d, i) => (i === x.rank - 2 ? size : d)));
}

function softmaxAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, allowed?: tf.Tensor): tf.Tensor {
  let s = tf.div(batchMatMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1] as number));
  if (allowed) s = tf.add(s, tf.mul(tf.sub(1, allowed), -1e9));
  return batchMatMul(tf.softmax(s), v);
}

// ---------------------------------------------------------------------------------------------
// 8.1 tiledAttention

interface TiledMistake {
  /** Leave the accumulated output alone when the maximum changes (l is still rescaled). */
  noOutputRescale?: boolean;
  /** Divide the output by the running normaliser after every key block, not once at the end. */
  dividePerBlock?: boolean;
  /** Skip the key blocks that start at or after the query block's LAST query (one too early). */
  skipOneEarly?: boolean;
}

function tiledVariant(mistake: TiledMistake): Tiled {
  return (q, k, v, options) =>
    tf.tidy(() => {
      // The reference's checks of its arguments (without them a block size of 0 loops forever,
      // and the variant would differ from the reference in more than its one detail).
      const fn = "tiledAttention";
      requireAttentionInputs(fn, q, k, v);
      requireOptions(fn, "options", options);
      const blockQ = requireInt(fn, "options.blockQ", options.blockQ, 1);
      const blockK = requireInt(fn, "options.blockK", options.blockK, 1);
      const causal = options.causal === true;
      const [tq, tk] = [q.shape[q.rank - 2] as number, k.shape[k.rank - 2] as number];
      if (causal && tq !== tk) throw new LabInputError(`${fn}: options.causal needs as many queries as keys (self-attention), got q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)}`);
      const dk = q.shape[q.rank - 1] as number;
      const dv = v.shape[v.rank - 1] as number;
      const batch = q.shape.slice(0, -2);
      const out: tf.Tensor[] = [];
      for (let i0 = 0; i0 < tq; i0 += blockQ) {
        const bq = Math.min(blockQ, tq - i0);
        const qb = tf.div(rows(q, i0, bq), Math.sqrt(dk));
        let m: tf.Tensor = tf.fill([...batch, bq, 1], -Infinity);
        let l: tf.Tensor = tf.zeros([...batch, bq, 1]);
        let acc: tf.Tensor = tf.zeros([...batch, bq, dv]);
        for (let j0 = 0; j0 < tk; j0 += blockK) {
          if (causal && (mistake.skipOneEarly ? j0 >= i0 + bq - 1 : j0 > i0 + bq - 1)) break;
          const bk = Math.min(blockK, tk - j0);
          let s = batchMatMul(qb, rows(k, j0, bk), false, true);
          if (causal) {
            const future = tf.greater(tf.range(j0, j0 + bk).reshape([1, bk]), tf.range(i0, i0 + bq).reshape([bq, 1]));
            s = tf.add(s, tf.mul(tf.cast(future, "float32"), -1e9));
          }
          const mNew = tf.maximum(m, tf.max(s, -1, true));
          const p = tf.exp(tf.sub(s, mNew));
          const rescale = tf.exp(tf.sub(m, mNew));
          const lNew = tf.add(tf.mul(l, rescale), tf.sum(p, -1, true));
          const pv = batchMatMul(p, rows(v, j0, bk));
          acc = tf.add(mistake.noOutputRescale ? acc : tf.mul(acc, rescale), pv);
          if (mistake.dividePerBlock) acc = tf.div(acc, lNew);
          m = mNew;
          l = lNew;
        }
        out.push(mistake.dividePerBlock ? acc : tf.div(acc, l));
      }
      return tf.concat(out, -2);
    });
}

export const TILED_MISCONCEPTIONS: readonly Misconception<Tiled>[] = [
  {
    exercise: "8.1",
    id: "no-output-rescale",
    looksLike: "a tiled attention that rescales the normaliser but not the accumulated output when a key block raises the running maximum",
    fix: "when the maximum goes from m to m′, multiply BOTH l and acc by exp(m − m′) before adding the new block: acc was summed with exp(score − m)",
    fn: tiledVariant({ noOutputRescale: true }),
  },
  {
    exercise: "8.1",
    id: "divide-per-block",
    looksLike: "a tiled attention that divides the output by the running normaliser after every key block",
    fix: "keep acc unnormalised (a sum of exp(score − m)·v) while the blocks come in and divide by l once, after the last key block",
    fn: tiledVariant({ dividePerBlock: true }),
  },
  {
    exercise: "8.1",
    id: "causal-skip-one-early",
    looksLike: "a causal tiled attention that skips a key block as soon as it starts at the query block's last query, so that query loses its own key",
    fix: "a key block lies entirely in the future only when its FIRST key comes after the block's last query: skip when j0 > i0 + bq − 1, not when j0 >= i0 + bq − 1",
    fn: tiledVariant({ skipOneEarly: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 8.2 linformerAttention

export const LINFORMER_MISCONCEPTIONS: readonly Misconception<Linformer>[] = [
  {
    exercise: "8.2",
    id: "e-for-values",
    looksLike: "Linformer attention that projects the values with E, the keys' projection, instead of F",
    fix: "project the keys with E (E·k) and the values with F (F·v): they are two different [k, n] matrices",
    fn: ({ E }, q, k, v) =>
      tf.tidy(() => {
        const lead = q.shape.slice(0, -2);
        const P = tf.broadcastTo(E, [...lead, ...E.shape]);
        return softmaxAttention(q, batchMatMul(P, k), batchMatMul(P, v));
      }),
  },
];

// ---------------------------------------------------------------------------------------------
// 8.3 performerAttention

interface PerformerMistake {
  /** φ(x) = exp(ωᵀx)/√m, without the exp(−‖x‖²/2) factor. */
  noNormTerm?: boolean;
  /** q and k used as they are, not divided by dk^¼ (estimates exp(qᵀk), not exp(qᵀk/√dk)). */
  unscaled?: boolean;
}

function performerVariant(mistake: PerformerMistake): Performer {
  return (q, k, v, { numFeatures, seed }) =>
    tf.tidy(() => {
      const dk = q.shape[q.rank - 1] as number;
      const omega = performerFeatures(numFeatures, dk, seed);
      const c = mistake.unscaled ? 1 : dk ** -0.25;
      const phi = (x: tf.Tensor, axes: number[]) => {
        const lead = x.shape.slice(0, -1);
        const xs = tf.mul(x, c);
        let e = tf.reshape(tf.matMul(tf.reshape(xs, [-1, dk]), omega, false, true), [...lead, numFeatures]);
        if (!mistake.noNormTerm) e = tf.sub(e, tf.mul(tf.sum(tf.square(xs), -1, true), 0.5));
        return tf.mul(tf.exp(tf.sub(e, tf.max(e, axes, true))), 1 / Math.sqrt(numFeatures));
      };
      const qf = phi(q, [-1]);
      const kf = phi(k, [-2, -1]);
      const num = batchMatMul(qf, batchMatMul(kf, v, true, false));
      const den = batchMatMul(qf, tf.sum(kf, -2, true), false, true);
      return tf.div(num, den);
    });
}

export const PERFORMER_MISCONCEPTIONS: readonly Misconception<Performer>[] = [
  {
    exercise: "8.3",
    id: "no-norm-term",
    looksLike: "Performer features exp(ωᵢᵀx)/√m without the factor exp(−‖x‖²/2)",
    fix: "φ(x) = exp(ωᵢᵀx − ‖x‖²/2)/√m: the factor is a constant per query (it cancels) but differs from key to key, and without it φ(q)ᵀφ(k) does not estimate exp(qᵀk/√dk)",
    fn: performerVariant({ noNormTerm: true }),
  },
  {
    exercise: "8.3",
    id: "unscaled",
    looksLike: "Performer attention on q and k as they are, which estimates softmax(q·kᵀ) without the 1/√dk",
    fix: "divide q and k by dk^¼ before the features (x = q/dk^¼, y = k/dk^¼, so that xᵀy = qᵀk/√dk)",
    fn: performerVariant({ unscaled: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 8.4 slidingWindowAttention

interface WindowMistake {
  /** |i − j| < window instead of <= window. */
  exclusive?: boolean;
  /** Global tokens only as keys: the global positions' own queries keep their window. */
  oneWay?: boolean;
}

/** The variant under its mask, chunk by chunk (so that it also passes the memory check). */
function windowVariant(mistake: WindowMistake): SlidingWindow {
  return (q, k, v, { window, globalTokens = [] }) =>
    tf.tidy(() => {
      const n = q.shape[q.rank - 2] as number;
      const g = new Set(globalTokens);
      const sees = (i: number, j: number) =>
        (mistake.exclusive ? Math.abs(i - j) < window : Math.abs(i - j) <= window) || g.has(j) || (!mistake.oneWay && g.has(i));
      const chunk = 8;
      const out: tf.Tensor[] = [];
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const c = Math.min(chunk, n - i0);
        const full = [...Array(c).keys()].some((a) => !mistake.oneWay && g.has(i0 + a));
        const lo = full ? 0 : Math.max(0, i0 - window);
        const hi = full ? n : Math.min(n, i0 + c + window);
        const cols = [...new Set([...Array(hi - lo).keys()].map((b) => lo + b).concat(globalTokens))];
        const allowed = tf.tensor2d(Array.from({ length: c }, (_, a) => cols.map((j) => (sees(i0 + a, j) ? 1 : 0))));
        const kk = tf.gather(k, cols, k.rank - 2);
        const vv = tf.gather(v, cols, v.rank - 2);
        out.push(softmaxAttention(rows(q, i0, c), kk, vv, allowed));
      }
      return tf.concat(out, -2);
    });
}

export const SLIDING_WINDOW_MISCONCEPTIONS: readonly Misconception<SlidingWindow>[] = [
  {
    exercise: "8.4",
    id: "window-exclusive",
    looksLike: "a sliding window that lets query i see keys with |i − j| < window, one fewer on each side",
    fix: "query i sees keys j with |i − j| <= window (window 0 means the query itself): include both ends, i − window and i + window",
    fn: windowVariant({ exclusive: true }),
  },
  {
    exercise: "8.4",
    id: "globals-one-way",
    looksLike: "global tokens that every query attends to, but whose own queries still see only their window",
    fix: "global attention is symmetric: a global position's query attends to every key, as well as every query attending to it",
    fn: windowVariant({ oneWay: true }),
  },
];
