/**
 * Graded checks for lib/blocks.ts: exercises 3.1 layerNorm (10), 3.2 feedForward (10),
 * 3.3 encoderLayer (20) and 3.4 decoderLayer (25).
 *
 * Parameters are injected and seeded (layer norms with gamma ≠ 1 and beta ≠ 0, biases
 * everywhere, weights of standard deviation 1/sqrt(d_in)). The student's layers run on their own
 * multiHeadAttention, layerNorm and feedForward; when a layer fails because of one of those,
 * cause finding (grader/cause.ts) says which one and credits the layer ("fix 2.3 first").
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderLayerParams, EncoderLayerParams, FeedForwardParams, LayerNormParams } from "../../../solutions/blocks";
import { allClose, CheckFailure, fmtIndex, fmtNum, requireLiveTensor } from "../../../grader/compare";
import type { Finding } from "../../../grader/diagnose";
import { arr, attentionFinding, type Arr } from "../../../grader/probes";
import type { BlocksModule, Check } from "../../../grader/types";
import { badInputCheck, contractChecks, randn, shapeDtypeCheck, valueCheck, type BadInputCase } from "../../../grader/builders";
import { causal, headMask, mhaParams, padding } from "./multihead";

type M = BlocksModule;

export function lnParams(d: number, seed: number): LayerNormParams {
  return { gamma: tf.tidy(() => tf.add(1, randn([d], seed, 0.3))), beta: randn([d], seed + 1, 0.3) };
}

export function ffnParams(d: number, dff: number, seed: number): FeedForwardParams {
  return { w1: randn([d, dff], seed, 1 / Math.sqrt(d)), b1: randn([dff], seed + 1, 0.5), w2: randn([dff, d], seed + 2, 1 / Math.sqrt(dff)), b2: randn([d], seed + 3, 0.5) };
}

export function encoderParams(d: number, h: number, dff: number, seed: number): EncoderLayerParams {
  return { selfAttn: mhaParams(d, h, seed, true), ffn: ffnParams(d, dff, seed + 10), norm1: lnParams(d, seed + 20), norm2: lnParams(d, seed + 22) };
}

function decoderParams(d: number, h: number, dff: number, seed: number): DecoderLayerParams {
  return {
    selfAttn: mhaParams(d, h, seed, true),
    crossAttn: mhaParams(d, h, seed + 10, true),
    ffn: ffnParams(d, dff, seed + 20),
    norm1: lnParams(d, seed + 30),
    norm2: lnParams(d, seed + 32),
    norm3: lnParams(d, seed + 34),
  };
}

// ---------------------------------------------------------------------------------------------
// 3.1 layerNorm

type LnArgs = { x: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor; eps?: number };
const lnCall = (m: M, a: LnArgs): unknown => (a.eps === undefined ? m.layerNorm(a.x, a.gamma, a.beta) : m.layerNorm(a.x, a.gamma, a.beta, a.eps));

function lnArgs(shape: number[], seed: number, o: { std?: number; offset?: number; eps?: number } = {}): () => LnArgs {
  return () => {
    const d = shape[shape.length - 1];
    const x = tf.tidy(() => tf.add(randn(shape, seed, o.std ?? 2), o.offset ?? 3));
    return { x, ...lnParams(d, seed + 1), eps: o.eps };
  };
}

/** Per-row (last axis) mean and biased variance of a [rows, d] view. */
function rowStats(a: Arr): { mean: number[]; variance: number[] } {
  const d = a.shape[a.shape.length - 1];
  const rows = a.data.length / d;
  const mean: number[] = [];
  const variance: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += a.data[r * d + j];
    const m = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (a.data[r * d + j] - m) ** 2;
    mean.push(m);
    variance.push(v / d);
  }
  return { mean, variance };
}

/** (y − shift) / scale, feature by feature (shift and scale are [d]). */
function undo(y: Arr, shift: Arr, scale: Arr): Arr | undefined {
  const d = y.shape[y.shape.length - 1];
  if (shift.data.length !== d || scale.data.length !== d || scale.data.some((s) => Math.abs(s) < 1e-6)) return undefined;
  return { shape: y.shape, data: y.data.map((v, i) => (v - shift.data[i % d]) / scale.data[i % d]) };
}

const standardised = (s: { mean: number[]; variance: number[] }, variance: (r: number) => number) =>
  s.mean.every((m) => Math.abs(m) < 2e-3) && s.variance.every((v, r) => Math.abs(v - variance(r)) < 2e-3 * Math.max(1, variance(r)));

const range = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) || Math.abs(Math.max(...xs) - Math.min(...xs)) < 1e-3 ? fmtNum(xs[0]) : `${fmtNum(Math.min(...xs))} to ${fmtNum(Math.max(...xs))}`);

/**
 * What the per-position statistics of a layer norm's output show: with gamma and beta undone,
 * the reference has mean 0 and variance var/(var + eps) at every position. Compares the student's
 * per-position mean and variance, tries gamma and beta the other way round, and the other axis.
 */
function lnProbe(got: unknown, expected: unknown, args: LnArgs): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || got.rank !== expected.rank || (got.shape as number[]).some((d, i) => d !== expected.shape[i])) return undefined;
  const y = arr(got);
  const gamma = arr(args.gamma);
  const beta = arr(args.beta);
  const d = y.shape[y.shape.length - 1];
  const ref = undo(arr(expected), beta, gamma);
  const mine = undo(y, beta, gamma);
  if (!ref || !mine) return undefined;
  const rs = rowStats(ref);
  const ms = rowStats(mine);
  const plain = rowStats(y);
  if (standardised(plain, (r) => rs.variance[r])) {
    return { problem: "your output is the normalised x̂ itself: gamma and beta are not applied (output = gamma · x̂ + beta)" };
  }
  const swapped = undo(y, gamma, beta);
  if (swapped && standardised(rowStats(swapped), (r) => rs.variance[r])) {
    return { problem: "your output is x̂·beta + gamma: gamma and beta are used the other way round (gamma scales, beta shifts)" };
  }
  if (ms.mean.every((m) => Math.abs(m) < 2e-3)) {
    const ratio = ms.variance.map((v, r) => v / rs.variance[r]);
    if (ratio.every((q) => Math.abs(q - ratio[0]) < 1e-3) && Math.abs(ratio[0] - 1) > 1e-3) {
      if (Math.abs(ratio[0] - (d - 1) / d) < 1e-3) {
        return { problem: "with gamma and beta undone, your output has mean 0 but variance (d − 1)/d times the reference's at every position: the variance is divided by d − 1 instead of d", detail: `d = ${d}` };
      }
      return { problem: "with gamma and beta undone, your output has mean 0 at every position but its variance is a constant factor off the reference's", detail: `factor ${fmtNum(ratio[0])}` };
    }
    return {
      problem: "with gamma and beta undone, your output has mean 0 at every position, like the reference's, but a different variance (so the division differs: the variance, eps or the square root)",
      detail: `variance ${range(ms.variance)} where the reference's is ${range(rs.variance)}`,
    };
  }
  // Normalised along another axis: the mean over that axis is 0 instead.
  if (y.shape.length >= 2) {
    const t = tf.tidy(() => tf.moments(tf.div(tf.sub(got, args.beta), args.gamma), got.rank - 2));
    const mean = Array.from(t.mean.dataSync());
    tf.dispose([t.mean, t.variance]);
    if (mean.every((m) => Math.abs(m) < 2e-3)) return { problem: "with gamma and beta undone, your output has mean 0 along axis -2 (across positions) instead of along the last axis (each position's features)" };
  }
  return { problem: "with gamma and beta undone, your output does not have mean 0 at every position, as a layer norm's does", detail: `per-position means ${range(ms.mean)}` };
}

/** With gamma = 1 and beta = 0, every position's features have mean 0 and (biased) variance 1. */
function expectStandardised(got: unknown): void {
  const g = requireLiveTensor("output", got);
  const { mean, variance } = tf.tidy(() => tf.moments(g, -1));
  const mv = mean.dataSync();
  const vv = variance.dataSync();
  tf.dispose([mean, variance]);
  const rowShape = g.shape.slice(0, -1);
  for (let i = 0; i < mv.length; i++) {
    if (!(Math.abs(mv[i]) <= 1e-4) || !(Math.abs(vv[i] - 1) <= 1e-3)) {
      throw new CheckFailure(
        "with gamma = 1 and beta = 0, each position's output must have mean 0 and variance 1; yours does not",
        `position ${fmtIndex(i, rowShape)} has mean ${fmtNum(mv[i])} and variance ${fmtNum(vv[i])}`,
      );
    }
  }
}

const lnValues = (name: string, points: number, inputs: () => LnArgs) => valueCheck({ exercise: "3.1", name, points, inputs, call: lnCall, probe: lnProbe });

export const LAYER_NORM_CHECKS: readonly Check<M>[] = [
  lnValues("values, x [2,5,8], default eps", 1, lnArgs([2, 5, 8], 801)),
  lnValues("values, x [3,6] (rank 2), default eps", 1, lnArgs([3, 6], 811)),
  lnValues("values, x [2,2,3,4] (rank 4) with eps = 0.5", 1, lnArgs([2, 2, 3, 4], 815, { std: 1, offset: 0, eps: 0.5 })),
  lnValues("values, nearly constant features (std 0.001), where eps matters", 1, lnArgs([2, 4, 8], 821, { std: 1e-3, offset: 0 })),
  valueCheck({
    exercise: "3.1",
    name: "gamma = 1, beta = 0: each position has mean 0 and variance 1",
    points: 1,
    inputs: () => ({ x: tf.tidy(() => tf.add(randn([4, 5, 16], 831, 2), 3)), gamma: tf.ones([16]), beta: tf.zeros([16]) }),
    call: lnCall,
    judge: (got) => expectStandardised(got),
  }),
  ...contractChecks<M, LnArgs>({
    exercise: "3.1",
    call: lnCall,
    forms: [
      { label: "x [2,5,8], default eps", inputs: lnArgs([2, 5, 8], 851) },
      { label: "x [3,4], eps 0.1", inputs: lnArgs([3, 4], 852, { eps: 0.1 }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  shapeDtypeCheck({ exercise: "3.1", name: "output shape = x's shape, dtype float32", points: 1, inputs: lnArgs([2, 3, 6], 841), call: lnCall }),
  badInputCheck<M>({
    exercise: "3.1",
    name: "gamma and beta of the wrong width raise an error naming layerNorm and the shapes",
    points: 1,
    cases: [{ describe: "x [2,5,8], gamma [6], beta [6]", call: (m) => m.layerNorm(randn([2, 5, 8], 871), tf.ones([6]), tf.zeros([6])), mention: [/\b6\b/, /\b8\b/], mentionText: "gamma's length 6 and x's width 8" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 3.2 feedForward

type FfnArgs = { params: FeedForwardParams; x: tf.Tensor };
const ffnCall = (m: M, a: FfnArgs): unknown => m.feedForward(a.params, a.x);
const ffnArgs = (shape: number[], dff: number, seed: number) => (): FfnArgs => ({ params: ffnParams(shape[2], dff, seed), x: randn(shape, seed + 5) });

/** The output of the second (linear) layer can be negative: a result that never is says something is clipping it. */
function ffnProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor)) return undefined;
  const g = arr(got).data;
  const e = arr(expected).data;
  const negRef = e.filter((v) => v < -1e-3).length;
  if (negRef > 0 && g.every((v) => v >= 0)) {
    return { problem: "your output is never negative, while the reference's is (its last layer x·…·w2 + b2 is linear)", detail: `${negRef} of ${e.length} reference entries are negative` };
  }
  return undefined;
}

export const FFN_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "3.2", name: "values, x [2,5,8], dff 16", points: 2, inputs: ffnArgs([2, 5, 8], 16, 901), call: ffnCall, probe: ffnProbe }),
  valueCheck({ exercise: "3.2", name: "values, x [3,2,6], dff 24", points: 2, inputs: ffnArgs([3, 2, 6], 24, 911), call: ffnCall, probe: ffnProbe }),
  valueCheck({ exercise: "3.2", name: "values, x [1,1,4] (one position), dff 6", points: 1, inputs: ffnArgs([1, 1, 4], 6, 925), call: ffnCall, probe: ffnProbe }),
  shapeDtypeCheck({ exercise: "3.2", name: "output [B,T,d], dtype float32", points: 1, inputs: ffnArgs([2, 3, 4], 12, 931), call: ffnCall }),
  ...contractChecks<M, FfnArgs>({
    exercise: "3.2",
    call: ffnCall,
    forms: [
      { label: "x [2,5,8], dff 16", inputs: ffnArgs([2, 5, 8], 16, 941) },
      { label: "x [1,1,4], dff 6", inputs: ffnArgs([1, 1, 4], 6, 942) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "3.2",
    name: "weights of the wrong width raise an error naming feedForward and the shapes",
    points: 1,
    cases: [{ describe: "x [2,5,8], w1 [6,16], w2 [16,6]", call: (m) => m.feedForward(ffnParams(6, 16, 961), randn([2, 5, 8], 965)), mention: ["6,16", /\b8\b/], mentionText: "w1's shape [6,16] and x's width 8" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// Layers: what the attention weights inside them show

function partOf(x: unknown, key: string): tf.Tensor | undefined {
  const v = x !== null && typeof x === "object" && !(x instanceof tf.Tensor) ? (x as Record<string, unknown>)[key] : undefined;
  return v instanceof tf.Tensor && !v.isDisposed ? v : undefined;
}

function weightsMatch(got: unknown, expected: unknown, key: string): boolean | undefined {
  const g = partOf(got, key);
  const e = partOf(expected, key);
  if (!g || !e || g.rank !== e.rank || g.shape.some((d, i) => d !== e.shape[i])) return undefined;
  return allClose(arr(g).data, arr(e).data);
}

/** The attention finding for one of a layer's weights, if it concerns the mask. */
function maskFinding(got: unknown, expected: unknown, key: string, mask: tf.Tensor | undefined): Finding | undefined {
  if (!mask) return undefined;
  const f = attentionFinding(got, expected, { mask }, { after: "", mask: (a: { mask: tf.Tensor }, shape: number[]) => headMask(a.mask, shape) }, key);
  return f && /mask/.test(f.problem) ? f : undefined;
}

type EncArgs = { params: EncoderLayerParams; x: tf.Tensor; mask?: tf.Tensor };
type DecArgs = { params: DecoderLayerParams; y: tf.Tensor; memory: tf.Tensor; selfMask: tf.Tensor; memoryMask?: tf.Tensor };

function encProbe(got: unknown, expected: unknown, args: EncArgs): Finding | undefined {
  const self = weightsMatch(got, expected, "selfWeights");
  if (self === undefined) return undefined;
  if (self) {
    return { problem: "your selfWeights match the reference, so your self-attention gets the right input; the difference comes after it (the residual a = x + …, norm2 or the feed-forward network)" };
  }
  const masked = maskFinding(got, expected, "selfWeights", args.mask);
  if (masked) return { problem: `${masked.problem}: the mask does not reach the self-attention as it should`, detail: masked.detail };
  return { problem: "your selfWeights already differ from the reference, so the difference starts at or before the self-attention (norm1, or what goes into multiHeadAttention)" };
}

function decProbe(got: unknown, expected: unknown, args: DecArgs): Finding | undefined {
  const self = weightsMatch(got, expected, "selfWeights");
  const cross = weightsMatch(got, expected, "crossWeights");
  if (self === undefined) return undefined;
  if (!self) {
    const masked = maskFinding(got, expected, "selfWeights", args.selfMask);
    if (masked) return { problem: `${masked.problem}: selfMask does not reach the self-attention as it should`, detail: masked.detail };
    return { problem: "your selfWeights already differ from the reference, so the difference starts at or before the self-attention (norm1, selfMask, or what goes into it)" };
  }
  if (cross === false) {
    const masked = maskFinding(got, expected, "crossWeights", args.memoryMask);
    if (masked) return { problem: `${masked.problem}: memoryMask does not reach the cross-attention as it should`, detail: masked.detail };
    return {
      problem:
        "your selfWeights match the reference but your crossWeights do not, so the difference starts between the two attentions (the residual a = y + …, norm2, or the queries, keys and values of the cross-attention)",
    };
  }
  if (cross === true) {
    return { problem: "your selfWeights and crossWeights match the reference, so the difference comes after the cross-attention (the residual c = a + …, norm3 or the feed-forward network)" };
  }
  return undefined;
}

function layerBad(exercise: string, name: string, c: BadInputCase<M>): Check<M> {
  return badInputCheck<M>({ exercise, name, points: 1, cases: [c] });
}

// ---------------------------------------------------------------------------------------------
// 3.3 encoderLayer

const encCall = (m: M, a: EncArgs): unknown => (a.mask === undefined ? m.encoderLayer(a.params, a.x) : m.encoderLayer(a.params, a.x, a.mask));

function enc(c: { b: number; t: number; d: number; h: number; dff: number; seed: number; lengths?: number[]; mask?: () => tf.Tensor }): () => EncArgs {
  return () => ({
    params: encoderParams(c.d, c.h, c.dff, c.seed),
    x: randn([c.b, c.t, c.d], c.seed + 50),
    mask: c.lengths ? padding(c.lengths, c.t) : c.mask?.(),
  });
}

const encValues = (name: string, points: number, inputs: () => EncArgs) => valueCheck({ exercise: "3.3", name, points, inputs, call: encCall, probe: encProbe });

/** [B, T, T] = [2, 4, 4]: every query keeps key 0. */
const fullMask244 = () => tf.tensor3d(Array.from({ length: 32 }, (_, i) => (i % 4 === 0 || (i * 3) % 5 !== 0 ? 1 : 0)), [2, 4, 4]);

export const ENCODER_CHECKS: readonly Check<M>[] = [
  encValues("values, no mask: x [2,5,8], 2 heads, dff 16", 4, enc({ b: 2, t: 5, d: 8, h: 2, dff: 16, seed: 1001 })),
  encValues("values, padding mask [2,1,5] (lengths 5,3): x [2,5,8], 2 heads", 4, enc({ b: 2, t: 5, d: 8, h: 2, dff: 16, seed: 1101, lengths: [5, 3] })),
  encValues("values, padding mask [3,1,4]: x [3,4,12], 3 heads, dff 24", 3, enc({ b: 3, t: 4, d: 12, h: 3, dff: 24, seed: 1201, lengths: [4, 2, 3] })),
  shapeDtypeCheck({ exercise: "3.3", name: "output [B,T,d] and selfWeights [B,h,T,T], dtype float32", points: 1, inputs: enc({ b: 2, t: 3, d: 8, h: 4, dff: 8, seed: 1301 }), call: encCall }),
  ...contractChecks<M, EncArgs>({
    exercise: "3.3",
    call: encCall,
    forms: [
      { label: "no mask", inputs: enc({ b: 2, t: 5, d: 8, h: 2, dff: 16, seed: 1401 }) },
      { label: "padding mask [B,1,T]", inputs: enc({ b: 2, t: 4, d: 8, h: 2, dff: 16, seed: 1402, lengths: [4, 2] }) },
      { label: "mask [T,T]", inputs: enc({ b: 2, t: 4, d: 8, h: 2, dff: 16, seed: 1403, mask: () => causal(4) }) },
      { label: "mask [B,T,T]", inputs: enc({ b: 2, t: 4, d: 8, h: 2, dff: 16, seed: 1404, mask: fullMask244 }) },
    ],
    points: { leaks: 2, fresh: 1, intact: 2 },
  }),
  layerBad("3.3", "error for parameters of the wrong width", {
    describe: "x [2,5,8], every parameter made for d = 6",
    call: (m) => m.encoderLayer(encoderParams(6, 2, 12, 1601), randn([2, 5, 8], 1650)),
    mention: [/\b6\b/, /\b8\b/],
    mentionText: "the widths 6 (parameters) and 8 (x)",
  }),
  layerBad("3.3", "error for a mask that does not broadcast", {
    describe: "x [2,5,8], mask [3,1,5]",
    call: (m) => m.encoderLayer(encoderParams(8, 2, 16, 1701), randn([2, 5, 8], 1750), padding([5, 4, 3], 5)),
    mention: ["3,1,5"],
    mentionText: "the mask's shape [3,1,5]",
  }),
  layerBad("3.3", "error for x of rank 2", {
    describe: "x [5,8]",
    call: (m) => m.encoderLayer(encoderParams(8, 2, 16, 1801), randn([5, 8], 1850)),
    mention: ["5,8"],
    mentionText: "x's shape [5,8]",
  }),
];

// ---------------------------------------------------------------------------------------------
// 3.4 decoderLayer

const decCall = (m: M, a: DecArgs): unknown =>
  a.memoryMask === undefined ? m.decoderLayer(a.params, a.y, a.memory, a.selfMask) : m.decoderLayer(a.params, a.y, a.memory, a.selfMask, a.memoryMask);

interface DecCase {
  b: number;
  ty: number;
  tx: number;
  d: number;
  h: number;
  dff: number;
  seed: number;
  /** Source lengths: memoryMask [B,1,Tx]. */
  memLengths?: number[];
  /** Target lengths: selfMask becomes causal × padding, [B,Ty,Ty]. */
  yLengths?: number[];
  /** memoryMask [B,Ty,Tx], a different pattern per query. */
  fullMemoryMask?: boolean;
}

function dec(c: DecCase): () => DecArgs {
  return () => {
    const selfMask = c.yLengths ? tf.tidy(() => tf.mul(causal(c.ty), padding(c.yLengths as number[], c.ty))) : causal(c.ty);
    const memoryMask = c.memLengths
      ? padding(c.memLengths, c.tx)
      : c.fullMemoryMask
        ? tf.tensor3d(Array.from({ length: c.b * c.ty * c.tx }, (_, i) => (i % c.tx === 0 || (i * 3) % 4 !== 0 ? 1 : 0)), [c.b, c.ty, c.tx])
        : undefined;
    return { params: decoderParams(c.d, c.h, c.dff, c.seed), y: randn([c.b, c.ty, c.d], c.seed + 50), memory: randn([c.b, c.tx, c.d], c.seed + 51), selfMask, memoryMask };
  };
}

const PREFIX = 2;

/** Changing y at positions >= PREFIX must leave the output at positions < PREFIX unchanged. */
function expectCausal(got: unknown): void {
  const [g1, g2] = Array.isArray(got) ? got : [got, undefined];
  const a = requireLiveTensor("output", g1);
  const b = requireLiveTensor("output", g2);
  const [bs, , d] = a.shape;
  const pa = tf.tidy(() => a.slice([0, 0, 0], [bs, PREFIX, d]));
  const pb = tf.tidy(() => b.slice([0, 0, 0], [bs, PREFIX, d]));
  const va = pa.dataSync();
  const vb = pb.dataSync();
  tf.dispose([pa, pb]);
  for (let i = 0; i < va.length; i++) {
    if (!(Math.abs(va[i] - vb[i]) <= 1e-5)) {
      throw new CheckFailure(
        "the output at a position changes when only later positions of y change: position i may only see positions j <= i (apply selfMask in the self-attention)",
        `output${fmtIndex(i, [bs, PREFIX, d])} changed from ${fmtNum(va[i])} to ${fmtNum(vb[i])} when only y at positions >= ${PREFIX} changed`,
      );
    }
  }
}

const decValues = (name: string, points: number, inputs: () => DecArgs) => valueCheck({ exercise: "3.4", name, points, inputs, call: decCall, probe: decProbe });

export const DECODER_CHECKS: readonly Check<M>[] = [
  decValues("values, causal selfMask, no memoryMask: y [2,4,8], memory [2,6,8], 2 heads", 4, dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2001 })),
  decValues("values, causal selfMask, memoryMask [2,1,6] (lengths 6,3): y [2,4,8], memory [2,6,8]", 4, dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2101, memLengths: [6, 3] })),
  decValues("values, y [2,5,12], memory [2,3,12], 3 heads, dff 24", 3, dec({ b: 2, ty: 5, tx: 3, d: 12, h: 3, dff: 24, seed: 2201 })),
  decValues("values, selfMask = causal × target padding [2,5,5], memoryMask [2,1,4]", 2, dec({ b: 2, ty: 5, tx: 4, d: 8, h: 2, dff: 16, seed: 2301, yLengths: [5, 3], memLengths: [4, 2] })),
  valueCheck({
    exercise: "3.4",
    name: "causal: the output at positions 0-1 does not change when y changes at positions >= 2",
    points: 2,
    inputs: () => {
      const a = dec({ b: 2, ty: 5, tx: 4, d: 8, h: 2, dff: 16, seed: 2401 })();
      const y2 = tf.tidy(() => tf.concat([a.y.slice([0, 0, 0], [2, PREFIX, 8]), randn([2, 5 - PREFIX, 8], 2450)], 1));
      return { ...a, y2 };
    },
    call: (m, a) => [(decCall(m, a) as { output: unknown })?.output, (decCall(m, { ...a, y: a.y2 }) as { output: unknown })?.output],
    judge: (got) => expectCausal(got),
  }),
  shapeDtypeCheck({ exercise: "3.4", name: "output [B,Ty,d], selfWeights [B,h,Ty,Ty], crossWeights [B,h,Ty,Tx], dtype float32", points: 1, inputs: dec({ b: 2, ty: 3, tx: 5, d: 8, h: 4, dff: 8, seed: 2501 }), call: decCall }),
  ...contractChecks<M, DecArgs>({
    exercise: "3.4",
    call: decCall,
    forms: [
      { label: "selfMask [T,T], no memoryMask", inputs: dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2601 }) },
      { label: "selfMask [B,T,T], memoryMask [B,1,Tx]", inputs: dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2602, yLengths: [4, 2], memLengths: [6, 2] }) },
      { label: "memoryMask [B,Ty,Tx]", inputs: dec({ b: 2, ty: 4, tx: 5, d: 8, h: 2, dff: 16, seed: 2603, fullMemoryMask: true }) },
    ],
    points: { leaks: 2, fresh: 1, intact: 2 },
  }),
  layerBad("3.4", "error for memory with a different batch size", {
    describe: "y [2,4,8], memory [3,6,8]",
    call: (m) => m.decoderLayer(decoderParams(8, 2, 16, 2801), randn([2, 4, 8], 2850), randn([3, 6, 8], 2851), causal(4)),
    mention: ["2,4,8", "3,6,8"],
    mentionText: "the shapes [2,4,8] and [3,6,8]",
  }),
  layerBad("3.4", "error for memory of a different width", {
    describe: "y [2,4,8], memory [2,6,6]",
    call: (m) => m.decoderLayer(decoderParams(8, 2, 16, 2901), randn([2, 4, 8], 2950), randn([2, 6, 6], 2951), causal(4)),
    mention: ["2,4,8", "2,6,6"],
    mentionText: "the shapes [2,4,8] and [2,6,6]",
  }),
  layerBad("3.4", "error for parameters of the wrong width", {
    describe: "y [2,4,8], memory [2,6,8], every parameter made for d = 6",
    call: (m) => m.decoderLayer(decoderParams(6, 2, 12, 3001), randn([2, 4, 8], 3050), randn([2, 6, 8], 3051), causal(4)),
    mention: [/\b6\b/, /\b8\b/],
    mentionText: "the widths 6 (parameters) and 8 (y)",
  }),
  layerBad("3.4", "error for a memoryMask that does not broadcast", {
    describe: "y [2,4,8], memory [2,6,8], memoryMask [2,1,5]",
    call: (m) => m.decoderLayer(decoderParams(8, 2, 16, 3101), randn([2, 4, 8], 3150), randn([2, 6, 8], 3151), causal(4), padding([5, 3], 5)),
    mention: ["2,1,5"],
    mentionText: "the memoryMask's shape [2,1,5]",
  }),
];
