/**
 * Support code for notebook 08 (efficient attention): the Performer's random features, fixed
 * Linformer projections, and the settings of the scaling experiment that the notebook and
 * `npm run bench -- efficient` share. The exercises themselves are in lib/efficient.ts.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireInt } from "./checks";
import { randn, seededRandom } from "./random";

/** Standard normal numbers from a seeded generator (Box-Muller), the same on every backend. */
function gaussians(count: number, rand: () => number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - rand(); // in (0, 1]: log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rand();
    out[i] = r * Math.cos(a);
    if (i + 1 < count) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * The Performer's random feature directions ω: `numFeatures` rows of length `d`, seeded.
 *
 * Each row is, on its own, a standard normal vector in R^d, so E[exp(ωᵀx)] = exp(‖x‖²/2). With
 * `orthogonal` (the default, FAVOR+'s choice) the rows come in blocks of d that are exactly
 * orthogonal to each other (Gram-Schmidt on a Gaussian matrix), each rescaled to the length of an
 * independent Gaussian vector, which keeps every row's distribution normal while the directions
 * in a block cannot repeat each other: the estimates they give vary less. With
 * `orthogonal: false` the rows are independent.
 *
 * Returns a float32 tensor [numFeatures, d]. The same (numFeatures, d, seed) give the same rows
 * everywhere, so performerAttention's result is reproducible and gradable.
 */
export function performerFeatures(numFeatures: number, d: number, seed: number, opts: { orthogonal?: boolean } = {}): tf.Tensor2D {
  requireInt("performerFeatures", "numFeatures", numFeatures, 1);
  requireInt("performerFeatures", "d", d, 1);
  if (!Number.isInteger(seed) || seed === 0) throw new LabInputError(`performerFeatures: argument "seed" must be a non-zero integer, got ${seed}`);
  const rand = seededRandom(seed);
  const rows = new Float64Array(numFeatures * d);
  if (opts.orthogonal === false) {
    rows.set(gaussians(numFeatures * d, rand));
    return tf.tensor2d(Float32Array.from(rows), [numFeatures, d]);
  }
  for (let start = 0; start < numFeatures; start += d) {
    const count = Math.min(d, numFeatures - start);
    const g = gaussians(d * d, rand); // a full d x d Gaussian block; its first `count` rows are used
    const norms = gaussians(count * d, rand);
    for (let r = 0; r < count; r++) {
      const row = g.subarray(r * d, (r + 1) * d);
      // Gram-Schmidt (twice, for float stability) against the rows of this block already made.
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < r; p++) {
          const prev = g.subarray(p * d, (p + 1) * d);
          let dot = 0;
          for (let c = 0; c < d; c++) dot += row[c] * prev[c];
          for (let c = 0; c < d; c++) row[c] -= dot * prev[c];
        }
      }
      let len = 0;
      for (let c = 0; c < d; c++) len += row[c] * row[c];
      len = Math.sqrt(len);
      for (let c = 0; c < d; c++) row[c] /= len; // unit length: later rows project onto it
      let chi = 0;
      for (let c = 0; c < d; c++) chi += norms[r * d + c] ** 2;
      chi = Math.sqrt(chi);
      for (let c = 0; c < d; c++) rows[(start + r) * d + c] = row[c] * chi;
    }
  }
  return tf.tensor2d(Float32Array.from(rows), [numFeatures, d]);
}

/**
 * A fixed Linformer projection [k, n]: row r averages the positions of the r-th of k equal
 * segments of 0 … n−1 (segment r holds positions ⌊r·n/k⌋ … ⌊(r+1)·n/k⌋ − 1). Applied to the keys
 * (E·K) it gives k keys, each the mean of a stretch of neighbouring keys; k = n is the identity.
 */
export function poolingProjection(k: number, n: number): tf.Tensor2D {
  requireInt("poolingProjection", "n", n, 1);
  requireInt("poolingProjection", "k", k, 1, n);
  const data = new Float32Array(k * n);
  for (let r = 0; r < k; r++) {
    const from = Math.floor((r * n) / k);
    const to = Math.floor(((r + 1) * n) / k);
    for (let j = from; j < to; j++) data[r * n + j] = 1 / (to - from);
  }
  return tf.tensor2d(data, [k, n]);
}

/**
 * The settings of the scaling experiment (notebook 08 and `npm run bench -- efficient`): one head
 * of width d, and each method's own size parameter, fixed while the sequence length n grows.
 */
export const SCALING_SETTINGS = {
  /** Width of queries, keys and values. */
  d: 64,
  /** tiledAttention's blocks (a [512, 512] float32 block of scores is 1 MB). */
  blockQ: 512,
  blockK: 512,
  /** Linformer's projected length (mean-pooling projections, poolingProjection). */
  linformerK: 256,
  /** Performer's random features. */
  numFeatures: 256,
  /** Longformer's window (each side) and its global tokens. */
  window: 128,
  globalTokens: [0] as readonly number[],
} as const;

/** The methods the scaling experiment compares, in the order of its tables and plots. */
export const SCALING_METHODS = ["standard", "tiled", "linformer", "performer", "longformer"] as const;
export type ScalingMethod = (typeof SCALING_METHODS)[number];

/** What each method is, for tables and legends. */
export const SCALING_LABELS: Readonly<Record<ScalingMethod, string>> = {
  standard: "standard (scaledDotProductAttention)",
  tiled: `tiled, exact (tiledAttention, blocks ${SCALING_SETTINGS.blockQ}x${SCALING_SETTINGS.blockK})`,
  linformer: `Linformer (k = ${SCALING_SETTINGS.linformerK})`,
  performer: `Performer (m = ${SCALING_SETTINGS.numFeatures})`,
  longformer: `Longformer (window ${SCALING_SETTINGS.window}, ${SCALING_SETTINGS.globalTokens.length} global)`,
};

/** The functions the experiment runs: yours (lib/) or the reference (solutions/). */
export interface ScalingFunctions {
  scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): { output: tf.Tensor; weights: tf.Tensor };
  tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: { blockQ: number; blockK: number }): tf.Tensor;
  linformerAttention(projections: { E: tf.Tensor; F: tf.Tensor }, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor;
  performerAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: { numFeatures: number; seed: number }): tf.Tensor;
  slidingWindowAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: { window: number; globalTokens?: readonly number[] }): tf.Tensor;
}

/** The inputs of one sequence length: q, k, v [n, d] (seeded) and Linformer's projections. */
export interface ScalingInputs {
  n: number;
  q: tf.Tensor;
  k: tf.Tensor;
  v: tf.Tensor;
  /** [linformerK, n] mean pooling, used as both E and F. */
  projection: tf.Tensor;
}

export function scalingInputs(n: number, seed = 1): ScalingInputs {
  requireInt("scalingInputs", "n", n, SCALING_SETTINGS.linformerK);
  const { d } = SCALING_SETTINGS;
  return {
    n,
    q: randn([n, d], seed),
    k: randn([n, d], seed + 1),
    v: randn([n, d], seed + 2),
    projection: poolingProjection(SCALING_SETTINGS.linformerK, n),
  };
}

export function disposeScalingInputs(x: ScalingInputs): void {
  tf.dispose([x.q, x.k, x.v, x.projection]);
}

/** One call of `method` on `x`, returning its output [n, d] (standard attention's weights are freed). */
export function scalingCall(fns: ScalingFunctions, method: ScalingMethod, x: ScalingInputs): tf.Tensor {
  const s = SCALING_SETTINGS;
  switch (method) {
    case "standard": {
      const r = fns.scaledDotProductAttention(x.q, x.k, x.v);
      r.weights.dispose();
      return r.output;
    }
    case "tiled":
      return fns.tiledAttention(x.q, x.k, x.v, { blockQ: s.blockQ, blockK: s.blockK });
    case "linformer":
      return fns.linformerAttention({ E: x.projection, F: x.projection }, x.q, x.k, x.v);
    case "performer":
      return fns.performerAttention(x.q, x.k, x.v, { numFeatures: s.numFeatures, seed: 1 });
    case "longformer":
      return fns.slidingWindowAttention(x.q, x.k, x.v, { window: s.window, globalTokens: s.globalTokens });
  }
}

/** One measured point of the experiment. */
export interface ScalingPoint {
  method: ScalingMethod;
  n: number;
  /** Peak tensor memory of one call (measurePeakMemory), bytes; the same on every run. */
  peakBytes: number;
  /** CPU time of the fastest timed call, ms. */
  cpuMs: number;
  /** Wall time of that same call, ms. */
  wallMs: number;
  /** The timed calls' CPU times, ms. */
  samples: number[];
}

/** The committed results of the experiment (checkpoints/efficient-scaling.json). */
export interface ScalingResults {
  /** How they were made: the command, and the machine and its load. */
  made: { command: string; date: string; machine: string; load: string; node: string; tfjs: string; backend: string };
  settings: typeof SCALING_SETTINGS;
  /** Time slopes are fitted over n >= timeFitFrom (below it, per-call overhead dominates the fast methods). */
  timeFitFrom?: number;
  points: ScalingPoint[];
}

export const SCALING_RESULTS_FILE = "checkpoints/efficient-scaling.json";

/** The committed results of `npm run bench -- efficient --write`, which notebook 08 plots. */
export function loadScalingResults(): ScalingResults {
  // realpath: in a notebook this file is loaded through the notebooks/lib symlink.
  const file = path.join(path.resolve(fs.realpathSync(__dirname), "..", ".."), SCALING_RESULTS_FILE);
  if (!fs.existsSync(file)) throw new LabInputError(`loadScalingResults: ${SCALING_RESULTS_FILE} is missing; make it with \`npm run bench -- efficient --write\``);
  return JSON.parse(fs.readFileSync(file, "utf8")) as ScalingResults;
}
