/**
 * Notebook 09's measuring kit: attention, convolutions and recurrent layers compared on the
 * same footing. The layers themselves come from elsewhere (the student's multiHeadAttention,
 * the GRU of models/rnn.ts); this file adds the 1-D convolutions the comparison needs and the
 * instruments that measure any sequence layer:
 *
 *   - convolutions: conv1dLayer (causal, optionally dilated, or circular; with kernel = n and
 *     circular padding every output sees every input: "a convolution with kernel = n"),
 *     convAsMatrix (the linear map a convolution is, as one [n·dIn, n·dOut] matrix);
 *   - gradientReach / pathLength: how far back the last output depends on the inputs, read
 *     from gradients (∂y_last/∂x_j is exactly zero outside the receptive field);
 *   - mixingMatrix: ||∂y_i/∂x_j|| for every pair of positions, on one input;
 *   - permutationMismatch: max |f(Px) − P f(x)|, the permutation-equivariance test;
 *   - countKernels: the backend kernels a call runs, and the multiply-adds of its matrix
 *     products and convolutions, counted from the shapes tf.profile reports;
 *   - layerMacs: the same multiply-adds from the textbook formulas, for comparison;
 *   - timeIt: median wall and CPU time of a call.
 *
 * A sequence layer here is any function x [B, n, d] → y [B, n, d'] (SeqLayer).
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt, requireTensor } from "./checks";
import { SeedSequence } from "./models/params";

/** A layer over a sequence: x [B, n, d] → y [B, n, d']. */
export type SeqLayer = (x: tf.Tensor) => tf.Tensor;

// ---------------------------------------------------------------------------------------------
// Convolutions

/** A 1-D convolution's weights: w [k, dIn, dOut] (tap t, input channel, output channel), b [dOut]. */
export interface ConvParams {
  w: tf.Tensor;
  b?: tf.Tensor;
}

/** Fresh convolution weights (trainable variables), normal with std 1/sqrt(k·dIn), zero bias. */
export function newConvParams(k: number, dIn: number, dOut: number, seeds: SeedSequence, opts: { bias?: boolean } = {}): ConvParams {
  requireInt("newConvParams", "k", k, 1);
  requireInt("newConvParams", "dIn", dIn, 1);
  requireInt("newConvParams", "dOut", dOut, 1);
  const w = tf.tidy(() => tf.variable(tf.randomNormal([k, dIn, dOut], 0, 1 / Math.sqrt(k * dIn), "float32", seeds.take()), true));
  return opts.bias === false ? { w } : { w, b: tf.tidy(() => tf.variable(tf.zeros([dOut]), true)) };
}

export interface ConvOptions {
  /**
   * "causal" (default): output i reads inputs i − t·dilation for taps t = 0 … k−1, zeros before
   * the start. "circular": output i reads inputs (i + t·dilation) mod n, wrapping around; with
   * k = n and dilation 1 every output reads every input exactly once.
   */
  padding?: "causal" | "circular";
  dilation?: number;
}

function checkConv(fn: string, p: ConvParams, x: tf.Tensor, o: ConvOptions): { k: number; n: number; dilation: number } {
  if (typeof p !== "object" || p === null || !(p.w instanceof tf.Tensor)) throw new LabInputError(`${fn}: params must be ConvParams { w [k, dIn, dOut], b? }`);
  requireTensor(fn, "params.w", p.w, { rank: 3, dtypes: ["float32"], pattern: "[k, dIn, dOut]" });
  requireTensor(fn, "x", x, { rank: 3, dtypes: ["float32"], pattern: "[B, n, dIn]" });
  const [k, dIn, dOut] = p.w.shape as [number, number, number];
  if (x.shape[2] !== dIn) throw new LabInputError(`${fn}: x ${fmtShape(x.shape)} has ${x.shape[2]} channels, params.w ${fmtShape(p.w.shape)} expects dIn = ${dIn}`);
  if (p.b !== undefined && fmtShape(p.b.shape) !== fmtShape([dOut])) throw new LabInputError(`${fn}: params.b ${fmtShape(p.b.shape)} must be [dOut] = [${dOut}]`);
  const dilation = requireInt(fn, "dilation", o.dilation ?? 1, 1);
  const padding = o.padding ?? "causal";
  if (padding !== "causal" && padding !== "circular") throw new LabInputError(`${fn}: padding must be "causal" or "circular", got ${String(padding)}`);
  const n = x.shape[1] as number;
  if (padding === "circular" && (k - 1) * dilation >= n) throw new LabInputError(`${fn}: a circular convolution needs (k − 1)·dilation < n, got k = ${k}, dilation = ${dilation}, n = ${n}`);
  return { k, n, dilation };
}

/**
 * A 1-D convolution over positions: x [B, n, dIn] → [B, n, dOut],
 *   causal:   y_i = Σ_t x_{i − t·dilation} · w_t (+ b), x_{<0} = 0
 *   circular: y_i = Σ_t x_{(i + t·dilation) mod n} · w_t (+ b)
 * both as one tf.conv1d over a padded copy of x (with dilation > 1, one product per tap, since
 * tfjs cannot differentiate dilated convolutions). The circular form with k = n is the kernel-n
 * convolution; convAsMatrix writes it as one matrix.
 */
export function conv1dLayer(p: ConvParams, x: tf.Tensor, o: ConvOptions = {}): tf.Tensor {
  const { k, n, dilation } = checkConv("conv1dLayer", p, x, o);
  return tf.tidy(() => {
    const reach = (k - 1) * dilation;
    // tf.conv1d correlates: output i reads input i + t·dilation of the padded x.
    //   causal: flip the taps and put `reach` zeros on the left, so tap t reads x_{i − t·dilation};
    //   circular: append the first `reach` positions on the right, so tap t reads x_{(i + t·dilation) mod n}.
    const causal = (o.padding ?? "causal") === "causal";
    const padded = causal ? tf.pad(x, [[0, 0], [reach, 0], [0, 0]]) : tf.concat([x, tf.slice(x, [0, 0, 0], [-1, reach, -1])], 1);
    const taps = causal ? tf.reverse(p.w, 0) : p.w;
    let y: tf.Tensor;
    if (dilation === 1) y = tf.conv1d(padded as tf.Tensor3D, taps as tf.Tensor3D, 1, "valid");
    else {
      // tfjs has no gradient for dilated convolutions: the same sum, one product per tap.
      const [b, , dIn] = x.shape;
      const dOut = p.w.shape[2] as number;
      y = tf.zeros([b, n, dOut]);
      for (let t = 0; t < k; t++) {
        const view = tf.reshape(tf.slice(padded, [0, t * dilation, 0], [-1, n, -1]), [b * n, dIn]);
        y = tf.add(y, tf.reshape(tf.matMul(view, tf.reshape(tf.slice(taps, [t, 0, 0], [1, -1, -1]), [dIn, dOut])), [b, n, dOut]));
      }
    }
    return p.b ? tf.add(y, p.b) : y;
  });
}

/**
 * The linear map of a circular convolution over n positions as one matrix M [n·dIn, n·dOut]:
 * for x flattened to a row [1, n·dIn] (position-major), conv1dLayer(p, x) without bias is x·M.
 * Block (j, i) of M, rows j·dIn…, columns i·dOut…, is the tap that carries input j to output i.
 */
export function convAsMatrix(p: ConvParams, n: number, o: { dilation?: number } = {}): tf.Tensor2D {
  requireInt("convAsMatrix", "n", n, 1);
  const probe = tf.zeros([1, n, p.w.shape[1] as number]);
  try {
    checkConv("convAsMatrix", p, probe, { padding: "circular", dilation: o.dilation });
  } finally {
    probe.dispose();
  }
  const [k, dIn, dOut] = p.w.shape as [number, number, number];
  const dilation = o.dilation ?? 1;
  return tf.tidy(() => {
    const zero = tf.zeros([dIn, dOut]);
    const taps = tf.unstack(p.w); // k × [dIn, dOut]
    const rows: tf.Tensor[] = [];
    for (let j = 0; j < n; j++) {
      const blocks: tf.Tensor[] = [];
      for (let i = 0; i < n; i++) {
        let block: tf.Tensor = zero;
        for (let t = 0; t < k; t++) if ((i + t * dilation) % n === j) block = block === zero ? taps[t] : tf.add(block, taps[t]);
        blocks.push(block);
      }
      rows.push(tf.concat(blocks, 1)); // [dIn, n·dOut]
    }
    return tf.concat(rows, 0) as tf.Tensor2D;
  });
}

// ---------------------------------------------------------------------------------------------
// Dependence, read from gradients

function checkLayerFn(fn: string, layer: unknown): void {
  if (typeof layer !== "function") throw new LabInputError(`${fn}: layer must be a function x [B, n, d] → y [B, n, d'], got ${typeof layer}`);
}

/**
 * How strongly the LAST output position depends on each input position, on input x [B, n, d]:
 * entry j is ||∂(y[0, n−1, :]·r)/∂x[0, j, :]|| for a fixed random direction r (seeded).
 * Exactly 0 where x_j cannot reach the last output (outside a convolution's receptive field).
 */
export function gradientReach(layer: SeqLayer, x: tf.Tensor, seed = 7): number[] {
  const fn = "gradientReach";
  checkLayerFn(fn, layer);
  requireTensor(fn, "x", x, { rank: 3, dtypes: ["float32"], pattern: "[B, n, d]" });
  const n = x.shape[1] as number;
  return tf.tidy(() => {
    const g = tf.grad((input: tf.Tensor) => {
      const y = layer(input);
      if (y.rank !== 3 || y.shape[0] !== x.shape[0] || y.shape[1] !== n) throw new LabInputError(`${fn}: the layer must return [B, n, d'] = [${x.shape[0]},${n},…], got ${fmtShape(y.shape)}`);
      const last = tf.squeeze(tf.slice(y, [0, n - 1, 0], [1, 1, -1]), [0, 1]); // [d']
      const r = tf.randomNormal([y.shape[2] as number], 0, 1, "float32", seed);
      return tf.sum(tf.mul(last, r));
    })(x); // [B, n, d]
    return Array.from(tf.norm(tf.squeeze(tf.slice(g, [0, 0, 0], [1, -1, -1]), [0]), "euclidean", 1).dataSync()); // [n]
  });
}

/**
 * The fewest layers (1 … maxLayers) of stack(L) after which the last output depends on the
 * first input (gradientReach(...)[0] > 0), or null if maxLayers are not enough. x: [1, n, d]
 * random (seeded).
 */
export function pathLength(stack: (layers: number) => SeqLayer, n: number, d: number, maxLayers: number, seed = 11): number | null {
  requireInt("pathLength", "n", n, 2);
  requireInt("pathLength", "d", d, 1);
  requireInt("pathLength", "maxLayers", maxLayers, 1);
  const x = tf.randomNormal([1, n, d], 0, 1, "float32", seed);
  try {
    for (let layers = 1; layers <= maxLayers; layers++) if (gradientReach(stack(layers), x)[0] > 0) return layers;
    return null;
  } finally {
    x.dispose();
  }
}

/** Layers of causal convolutions (kernel k, dilation 1) before output n−1 sees input 0: ⌈(n−1)/(k−1)⌉. */
export function convLayersNeeded(n: number, k: number): number {
  return Math.ceil((n - 1) / (k - 1));
}

/** Layers of causal convolutions with kernel 2 and dilations 1, 2, 4, … before output n−1 sees input 0: ⌈log₂ n⌉. */
export function dilatedLayersNeeded(n: number): number {
  return Math.ceil(Math.log2(n));
}

/**
 * The effective mixing matrix of a layer on one input x [1, n, d]: entry (i, j) is
 * ||∂y_i/∂x_j||_F, how much output position i moves per unit change of input position j.
 * For a linear layer (a convolution) it is the same for every x; for attention it is not.
 */
export function mixingMatrix(layer: SeqLayer, x: tf.Tensor): number[][] {
  const fn = "mixingMatrix";
  checkLayerFn(fn, layer);
  requireTensor(fn, "x", x, { rank: 3, dtypes: ["float32"], pattern: "[1, n, d]" });
  if (x.shape[0] !== 1) throw new LabInputError(`${fn}: x must hold one sequence [1, n, d], got ${fmtShape(x.shape)}`);
  const n = x.shape[1] as number;
  const sq: number[][] = Array.from({ length: n }, () => new Array(n).fill(0));
  const dOut = tf.tidy(() => layer(x).shape[2] as number);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dOut; c++) {
      const perInput = tf.tidy(() => {
        const g = tf.grad((input: tf.Tensor) => tf.sum(tf.slice(layer(input), [0, i, c], [1, 1, 1])))(x); // [1, n, d]
        return tf.sum(tf.square(g), [0, 2]).dataSync(); // [n]
      });
      for (let j = 0; j < n; j++) sq[i][j] += perInput[j];
    }
  }
  return sq.map((row) => row.map(Math.sqrt));
}

/**
 * Permutation equivariance: max |f(x[:, perm]) − f(x)[:, perm]| over every entry, for x
 * [B, n, d] and perm a permutation of 0 … n−1. ~1e-7 (rounding) for an equivariant layer.
 */
export function permutationMismatch(layer: SeqLayer, x: tf.Tensor, perm: readonly number[]): number {
  const fn = "permutationMismatch";
  checkLayerFn(fn, layer);
  requireTensor(fn, "x", x, { rank: 3, dtypes: ["float32"], pattern: "[B, n, d]" });
  const n = x.shape[1] as number;
  if (perm.length !== n || [...perm].sort((a, b) => a - b).some((v, i) => v !== i)) throw new LabInputError(`${fn}: perm must be a permutation of 0 … ${n - 1} (n = ${n} from x ${fmtShape(x.shape)}), got [${perm.join(",")}]`);
  return tf.tidy(() => {
    const idx = tf.tensor1d(perm as number[], "int32");
    const a = layer(tf.gather(x, idx, 1));
    const b = tf.gather(layer(x), idx, 1);
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  });
}

// ---------------------------------------------------------------------------------------------
// Counting and timing

export interface KernelCount {
  /** Backend kernels run (each a separate, dependent-or-not launch). */
  kernels: number;
  /** Multiply-adds of the matrix products (BatchMatMul, _FusedMatMul, the course's LabMatMul of lib/support/ops.ts) and convolutions (Conv2D). */
  macs: number;
  /** Kernels run, by name. */
  byName: Record<string, number>;
}

/** Multiply-adds of one profiled kernel, from its shapes (0 for kernels that are not products). */
function kernelMacs(name: string, inputs: number[][], outputs: number[][]): number {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  if ((name === "BatchMatMul" || name === "_FusedMatMul" || name === "LabMatMul") && inputs.length >= 2 && outputs.length === 1) {
    const a = inputs[0], out = outputs[0];
    const m = out[out.length - 2];
    const inner = a[a.length - 2] === m ? a[a.length - 1] : a[a.length - 2]; // a is [.., m, inner] or, transposed, [.., inner, m]
    return size(out) * inner;
  }
  if (name === "Conv2D" && inputs.length >= 2 && outputs.length === 1) {
    const f = inputs[1]; // [kh, kw, cin, cout]
    return size(outputs[0]) * f[0] * f[1] * f[2];
  }
  return 0;
}

/**
 * Runs fn once under tf.profile and counts what the backend did: kernels, and the multiply-adds
 * of matrix products and convolutions (elementwise work such as softmax or gates is not
 * counted). fn's result is disposed.
 */
export async function countKernels(fn: () => tf.TensorContainer): Promise<KernelCount> {
  if (typeof fn !== "function") throw new LabInputError("countKernels: fn must be a function that runs the layer");
  const info = await tf.profile(() => tf.tidy(fn) as tf.TensorContainer as tf.Tensor);
  const byName: Record<string, number> = {};
  let macs = 0;
  for (const k of info.kernels) {
    byName[k.name] = (byName[k.name] ?? 0) + 1;
    macs += kernelMacs(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
  }
  tf.dispose(info.result as tf.TensorContainer);
  return { kernels: info.kernels.length, macs, byName };
}

export interface Timing {
  /** Median wall-clock milliseconds per call. */
  wallMs: number;
  /** Median CPU milliseconds per call (this process, all threads). */
  cpuMs: number;
}

/**
 * Median time of fn over `repeats` calls after `warmup` untimed ones. fn's result is read
 * back (dataSync, so the work is done) and disposed.
 */
export function timeIt(fn: () => tf.TensorContainer, opts: { repeats?: number; warmup?: number } = {}): Timing {
  if (typeof fn !== "function") throw new LabInputError("timeIt: fn must be a function that runs the layer");
  const repeats = requireInt("timeIt", "repeats", opts.repeats ?? 5, 1);
  const warmup = requireInt("timeIt", "warmup", opts.warmup ?? 1, 0);
  const once = (): [number, number] => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const out = tf.tidy(fn);
    const tensors = flatTensors(out);
    if (tensors.length > 0) tensors[tensors.length - 1].dataSync();
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    tf.dispose(tensors);
    return [wall, (c.user + c.system) / 1000];
  };
  for (let i = 0; i < warmup; i++) once();
  const runs = Array.from({ length: repeats }, once);
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return { wallMs: median(runs.map((r) => r[0])), cpuMs: median(runs.map((r) => r[1])) };
}

function flatTensors(x: tf.TensorContainer): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap((v) => flatTensors(v as tf.TensorContainer));
  if (x && typeof x === "object") return Object.values(x).flatMap((v) => flatTensors(v as tf.TensorContainer));
  return [];
}

export type LayerKind = "attention" | "gru" | "conv";

/**
 * Multiply-adds of one layer's matrix products on one sequence of length n and width d, by the
 * textbook count:
 *   attention: 4·n·d² (the q, k, v and output projections) + 2·n²·d (scores and weighted sum);
 *   gru:       6·n·d² (three gates' input and recurrent projections);
 *   conv:      k·n·d² (k taps per output position; k = n for the kernel-n convolution).
 */
export function layerMacs(kind: LayerKind, n: number, d: number, k = 3): number {
  requireInt("layerMacs", "n", n, 1);
  requireInt("layerMacs", "d", d, 1);
  if (kind === "attention") return 4 * n * d * d + 2 * n * n * d;
  if (kind === "gru") return 6 * n * d * d;
  if (kind === "conv") return requireInt("layerMacs", "k", k, 1) * n * d * d;
  throw new LabInputError(`layerMacs: kind must be "attention", "gru" or "conv", got ${String(kind)}`);
}
