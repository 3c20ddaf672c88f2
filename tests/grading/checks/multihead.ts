/**
 * Graded checks for lib/multihead.ts: exercises 2.1 splitHeads (5), 2.2 mergeHeads (5),
 * 2.3 multiHeadAttention (30) and 2.4 sinusoidalPositionalEncoding (10).
 *
 * Weights and masks are injected and seeded; where a check needs the other half of a pair
 * (mergeHeads for the splitHeads round trip and vice versa) it uses the reference's, so a
 * mistake in one exercise costs points only there. multiHeadAttention runs on the student's own
 * splitHeads, mergeHeads and scaledDotProductAttention: when it fails because of one of those,
 * cause finding (grader/cause.ts) says so and credits 2.3. Weights have standard deviation 1/sqrt(d),
 * so the scores stay moderate and the softmax is far from saturated: every misconception moves
 * the output well beyond the tolerance.
 */
import * as tf from "@tensorflow/tfjs";
import { mergeHeads as refMergeHeads, splitHeads as refSplitHeads, type MultiHeadParams } from "../../../solutions/multihead";
import { CheckFailure, expectResultClose, fmtIndex, fmtNum, requireLiveTensor } from "../../../grader/compare";
import type { Finding } from "../../../grader/diagnose";
import { arr, attentionFinding, columnFinding, featureGroupFinding, headsFinding, tensorFinding } from "../../../grader/probes";
import type { Check, MultiheadModule } from "../../../grader/types";
import { badInputCheck, contractChecks, gradientCheck, randn, shapeDtypeCheck, valueCheck } from "../../../grader/builders";
import { loadPytorchFixtures, toTensor, toTensors } from "../../fixtures/pytorch";

type M = MultiheadModule;

// ---------------------------------------------------------------------------------------------
// 2.1 splitHeads, 2.2 mergeHeads

type SplitArgs = { x: tf.Tensor; h: number };
const splitCall = (m: M, a: SplitArgs): unknown => m.splitHeads(a.x, a.h);
const sx = (shape: number[], h: number, seed: number) => (): SplitArgs => ({ x: randn(shape, seed), h });

/** splitHeads' [B, h, T, dh] output: which heads match. */
function splitProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || got.rank !== 4) return undefined;
  return headsFinding("output", arr(got), arr(expected));
}

export const SPLIT_HEADS_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "2.1", name: "values, x [2,5,12], 3 heads", points: 1, inputs: sx([2, 5, 12], 3, 501), call: splitCall, probe: splitProbe }),
  valueCheck({
    exercise: "2.1",
    name: "round trip: reference mergeHeads(splitHeads(x, h)) = x, for x [3,4,8] and h = 4, 2, 1",
    points: 1,
    inputs: sx([3, 4, 8], 4, 511),
    call: (m, a) => [4, 2, 1].map((h) => refMergeHeads(m.splitHeads(a.x, h))),
  }),
  shapeDtypeCheck({ exercise: "2.1", name: "shape [B,h,T,d/h], dtype float32", points: 1, inputs: sx([2, 3, 8], 2, 521), call: splitCall }),
  ...contractChecks<M, SplitArgs>({
    exercise: "2.1",
    call: splitCall,
    forms: [
      { label: "x [2,5,12], 3 heads", inputs: sx([2, 5, 12], 3, 531) },
      { label: "x [1,4,8], 1 head", inputs: sx([1, 4, 8], 1, 532) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "2.1",
    name: "d not divisible by numHeads raises an error naming splitHeads, d and numHeads",
    points: 1,
    cases: [{ describe: "x [2,5,8], numHeads 3", call: (m) => m.splitHeads(randn([2, 5, 8], 541), 3), mention: [/\b8\b/, /\b3\b/], mentionText: "d = 8 and numHeads = 3" }],
  }),
];

type MergeArgs = { x: tf.Tensor };
const mergeCall = (m: M, a: MergeArgs): unknown => m.mergeHeads(a.x);
const mx = (shape: number[], seed: number) => (): MergeArgs => ({ x: randn(shape, seed) });

/** mergeHeads' [B, T, h·dh] output: which heads' features match. */
function mergeProbe(got: unknown, expected: unknown, args: MergeArgs): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor)) return undefined;
  return featureGroupFinding("output", arr(got), arr(expected), args.x.shape[1] as number, "head");
}

export const MERGE_HEADS_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "2.2", name: "values, x [2,3,5,4] (3 heads)", points: 1, inputs: mx([2, 3, 5, 4], 551), call: mergeCall, probe: mergeProbe }),
  valueCheck({
    exercise: "2.2",
    name: "round trip: mergeHeads(reference splitHeads(x, h)) = x, for x [3,4,8] and h = 4, 2, 1",
    points: 1,
    inputs: () => ({ x: randn([3, 4, 8], 561) }),
    call: (m, a) => [4, 2, 1].map((h) => m.mergeHeads(refSplitHeads(a.x, h))),
  }),
  shapeDtypeCheck({ exercise: "2.2", name: "shape [B,T,h·dh], dtype float32", points: 1, inputs: mx([2, 4, 3, 2], 571), call: mergeCall }),
  ...contractChecks<M, MergeArgs>({
    exercise: "2.2",
    call: mergeCall,
    forms: [
      { label: "x [2,3,5,4]", inputs: mx([2, 3, 5, 4], 581) },
      { label: "x [1,1,3,8] (one head)", inputs: mx([1, 1, 3, 8], 582) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "2.2",
    name: "x of rank 3 raises an error naming mergeHeads and x's shape",
    points: 1,
    cases: [{ describe: "x [2,5,8]", call: (m) => m.mergeHeads(randn([2, 5, 8], 591)), mention: ["2,5,8"], mentionText: "x's shape [2,5,8] (it must be [B, h, T, dh])" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 2.3 multiHeadAttention

type MhaArgs = { params: MultiHeadParams; xq: tf.Tensor; xkv: tf.Tensor; mask?: tf.Tensor };

const mhaCall = (m: M, a: MhaArgs): unknown => (a.mask === undefined ? m.multiHeadAttention(a.params, a.xq, a.xkv) : m.multiHeadAttention(a.params, a.xq, a.xkv, a.mask));

/** Seeded multi-head weights for width d (biases optional). */
export function mhaParams(d: number, h: number, seed: number, biases: boolean): MultiHeadParams {
  const std = 1 / Math.sqrt(d);
  const p: MultiHeadParams = { numHeads: h, wq: randn([d, d], seed, std), wk: randn([d, d], seed + 1, std), wv: randn([d, d], seed + 2, std), wo: randn([d, d], seed + 3, std) };
  if (biases) {
    p.bq = randn([d], seed + 4, 0.5);
    p.bk = randn([d], seed + 5, 0.5);
    p.bv = randn([d], seed + 6, 0.5);
    p.bo = randn([d], seed + 7, 0.5);
  }
  return p;
}

interface MhaCase {
  b: number;
  tq: number;
  /** Omitted: self-attention (xkv is xq). */
  tk?: number;
  d: number;
  h: number;
  seed: number;
  biases?: boolean;
  mask?: () => tf.Tensor;
}

function mha(c: MhaCase): () => MhaArgs {
  return () => {
    const xq = randn([c.b, c.tq, c.d], c.seed + 10);
    const xkv = c.tk === undefined ? xq : randn([c.b, c.tk, c.d], c.seed + 11);
    return { params: mhaParams(c.d, c.h, c.seed, c.biases ?? false), xq, xkv, mask: c.mask?.() };
  };
}

/** [T, T], 1 on and below the diagonal. */
export function causal(t: number): tf.Tensor {
  return tf.tensor2d(Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => (j <= i ? 1 : 0))));
}

/** [B, 1, maxLen] padding mask, 1 for j < lengths[b]. */
export function padding(lengths: number[], maxLen: number): tf.Tensor {
  return tf.tensor3d(lengths.map((len) => [Array.from({ length: maxLen }, (_, j) => (j < len ? 1 : 0))]));
}

/** A [B, h, Tq, Tk] pattern that differs between heads; key 0 is always allowed. */
function perHeadMask(b: number, h: number, tq: number, tk: number): tf.Tensor {
  const v: number[] = [];
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) v.push(j === 0 || (bi * 7 + hi * 5 + i * 3 + j) % 3 !== 0 ? 1 : 0);
  return tf.tensor4d(v, [b, h, tq, tk]);
}

/** A [B, Tq, Tk] pattern (every query keeps key 0), the same for every head. */
function fullMask(b: number, tq: number, tk: number): tf.Tensor {
  return tf.tensor3d(Array.from({ length: b * tq * tk }, (_, i) => (i % tk === 0 || (i * 5) % 4 !== 0 ? 1 : 0)), [b, tq, tk]);
}

/** The mask as the per-head scores see it: a rank-2 or rank-3 mask is the same for every head. */
export function headMask(mask: unknown, shape: number[]): Float64Array | undefined {
  if (!(mask instanceof tf.Tensor) || mask.isDisposed) return undefined;
  const m = tf.tidy(() => {
    const withHeads = mask.rank === 3 ? tf.expandDims(mask, 1) : mask;
    return tf.broadcastTo(tf.cast(tf.notEqual(withHeads, 0), "float32"), shape);
  });
  const out = Float64Array.from(m.dataSync() as ArrayLike<number>);
  m.dispose();
  return out;
}

/** What the per-head weights show (attentionFinding with heads), with 2.3's mask and scale; first, what their shape says. */
function mhaProbe(got: unknown, expected: unknown, args: MhaArgs): Finding | undefined {
  const w = got !== null && typeof got === "object" ? (got as { weights?: unknown }).weights : undefined;
  if (w instanceof tf.Tensor && !w.isDisposed && w.rank === 4) {
    const [, h, , tk] = w.shape;
    const tq = args.xq.shape[1] as number;
    const wantTk = args.xkv.shape[1] as number;
    if (h !== args.params.numHeads) {
      return { problem: "your weights have another number of heads than params.numHeads: split d into numHeads heads of d/numHeads features each", detail: `${h} heads, numHeads = ${args.params.numHeads}` };
    }
    if (tk !== wantTk && tk === tq) {
      return { problem: "your weights have as many keys per query as xq has positions, not as xkv has: the keys and values must be projected from xkv", detail: `${tk} keys per query, xkv has ${wantTk} positions` };
    }
  }
  return attentionFinding(got, expected, args, {
    after: "what comes after the weights: the values V = xkv·wv + bv, weights·V in each head, merging the heads or the output projection",
    scale: (a: MhaArgs) => {
      const d = a.xq.shape[2] as number;
      return `1/√(d/h) = 1/√${d / a.params.numHeads}`;
    },
    mask: (a: MhaArgs, shape: number[]) => headMask(a.mask, shape),
    headAxis: true,
  });
}

/** Each head's weights are distributions over the keys, exactly 0 where `mask` ([B, h, Tq, Tk] after broadcasting) blocks. */
function expectHeadWeights(got: unknown, args: MhaArgs): void {
  const obj = got !== null && typeof got === "object" && !(got instanceof tf.Tensor) ? (got as Record<string, unknown>) : {};
  const w = requireLiveTensor("weights", obj.weights);
  const [b, tq] = args.xq.shape as number[];
  const tk = args.xkv.shape[1] as number;
  const expectedShape = [b, args.params.numHeads, tq, tk];
  if (w.rank !== 4 || w.shape.some((s, i) => s !== expectedShape[i])) {
    throw new CheckFailure(`weights: shape [${w.shape.join(",")}], expected [B,h,Tq,Tk] = [${expectedShape.join(",")}]`);
  }
  const mv = headMask(args.mask, expectedShape);
  const v = w.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (mv && mv[i] === 0 && v[i] !== 0) throw new CheckFailure("weights at masked positions must be exactly 0, not merely small", `weights${fmtIndex(i, w.shape)} is ${fmtNum(v[i])} at a masked position`);
  }
  for (let r = 0; r < v.length / tk; r++) {
    let s = 0;
    for (let j = 0; j < tk; j++) s += v[r * tk + j];
    if (!(Math.abs(s - 1) <= 1e-4)) {
      throw new CheckFailure("each head's weights must sum to 1 over the keys", `weights row ${fmtIndex(r * tk, w.shape)} (batch, head, query) sums to ${fmtNum(s)}`);
    }
  }
}

type TorchArgs = { cases: MhaArgs[]; expected: { output: tf.Tensor; weights: tf.Tensor }[] };

/** The PyTorch cases of tests/fixtures/pytorch.json as arguments (weights converted to y = x·W + b, masks to 1 = attend). */
function torchCases(): TorchArgs {
  const fx = loadPytorchFixtures().multiHeadAttention;
  return {
    cases: fx.map((c) => ({ params: toTensors(c.params) as MultiHeadParams, xq: toTensor(c.xq), xkv: toTensor(c.xkv), mask: c.mask ? toTensor(c.mask) : undefined })),
    expected: fx.map((c) => ({ output: toTensor(c.output), weights: toTensor(c.weights) })),
  };
}

/** Notebook 02 trains through the student's multiHeadAttention: gradients w.r.t. the projections. */
const gradientCheckOfMha = gradientCheck<M, MhaArgs>({
  exercise: "2.3",
  name: "trainable: gradients of the output w.r.t. wq, wk, wv, wo (tf.grads through your function)",
  points: 1,
  inputs: mha({ b: 2, tq: 4, tk: 5, d: 8, h: 2, seed: 685, biases: true, mask: () => padding([5, 3], 5) }),
  wrt: (a) => ({ names: ["wq", "wk", "wv", "wo"], tensors: [a.params.wq, a.params.wk, a.params.wv, a.params.wo] }),
  replace: (a, [wq, wk, wv, wo]) => ({ ...a, params: { ...a.params, wq, wk, wv, wo } }),
  call: mhaCall,
  output: (r) => (r as { output: tf.Tensor }).output,
  seed: 686,
});

function mhaBad(name: string, describe: string, mention: (string | RegExp)[], mentionText: string, make: () => MhaArgs): Check<M> {
  return badInputCheck<M>({ exercise: "2.3", name, points: 1, cases: [{ describe, call: (m) => mhaCall(m, make()), mention, mentionText }] });
}

const mhaValues = (name: string, points: number, inputs: () => MhaArgs) => valueCheck({ exercise: "2.3", name, points, inputs, call: mhaCall, probe: mhaProbe });

export const MHA_CHECKS: readonly Check<M>[] = [
  mhaValues("values, self-attention, no mask, no biases: x [2,5,8], 2 heads", 2, mha({ b: 2, tq: 5, d: 8, h: 2, seed: 601 })),
  mhaValues("values, self-attention with biases: x [2,4,12], 4 heads", 2, mha({ b: 2, tq: 4, d: 12, h: 4, seed: 611, biases: true })),
  mhaValues("values, cross-attention Tq ≠ Tk: xq [2,3,8], xkv [2,6,8], 2 heads, biases", 3, mha({ b: 2, tq: 3, tk: 6, d: 8, h: 2, seed: 621, biases: true })),
  mhaValues("values, causal mask [5,5]: x [2,5,8], 4 heads, biases", 2, mha({ b: 2, tq: 5, d: 8, h: 4, seed: 631, biases: true, mask: () => causal(5) })),
  // B = h = 2: a padding mask used without its head axis broadcasts, against the wrong axes.
  mhaValues("values, padding mask [2,1,6] (lengths 6,3): xq [2,4,8], xkv [2,6,8], 2 heads", 2, mha({ b: 2, tq: 4, tk: 6, d: 8, h: 2, seed: 641, biases: true, mask: () => padding([6, 3], 6) })),
  // B = 3, h = 2: without the head axis the mask does not broadcast at all.
  mhaValues("values, padding mask [3,1,6] (lengths 6,4,2): xq [3,5,8], xkv [3,6,8], 2 heads", 2, mha({ b: 3, tq: 5, tk: 6, d: 8, h: 2, seed: 651, biases: true, mask: () => padding([6, 4, 2], 6) })),
  mhaValues("values, per-head mask [2,2,4,5] (rank 4): xq [2,4,8], xkv [2,5,8], 2 heads", 2, mha({ b: 2, tq: 4, tk: 5, d: 8, h: 2, seed: 661, biases: true, mask: () => perHeadMask(2, 2, 4, 5) })),
  valueCheck({
    exercise: "2.3",
    name: "agrees with PyTorch's nn.MultiheadAttention (4 cases: self/cross, causal and key-padding masks; output and per-head weights)",
    points: 3,
    inputs: torchCases,
    call: (m, a) => a.cases.map((c) => mhaCall(m, c)),
    judge: (got, _expected, a) => expectResultClose("PyTorch case", got, a.expected),
  }),
  valueCheck({
    exercise: "2.3",
    name: "weights: each head's rows sum to 1 and masked weights are exactly 0",
    points: 2,
    inputs: mha({ b: 3, tq: 5, tk: 6, d: 12, h: 3, seed: 671, biases: true, mask: () => padding([6, 4, 2], 6) }),
    call: mhaCall,
    judge: (got, _e, args) => expectHeadWeights(got, args),
    probe: mhaProbe,
  }),
  shapeDtypeCheck({ exercise: "2.3", name: "output [B,Tq,d] and weights [B,h,Tq,Tk], dtype float32", points: 1, inputs: mha({ b: 2, tq: 3, tk: 7, d: 12, h: 3, seed: 681 }), call: mhaCall }),
  gradientCheckOfMha,
  ...contractChecks<M, MhaArgs>({
    exercise: "2.3",
    call: mhaCall,
    forms: [
      { label: "no mask, no biases", inputs: mha({ b: 2, tq: 5, d: 8, h: 2, seed: 691 }) },
      { label: "cross-attention with biases", inputs: mha({ b: 2, tq: 3, tk: 6, d: 8, h: 2, seed: 692, biases: true }) },
      { label: "mask [T,T]", inputs: mha({ b: 2, tq: 5, d: 8, h: 2, seed: 693, biases: true, mask: () => causal(5) }) },
      { label: "padding mask [B,1,Tk]", inputs: mha({ b: 2, tq: 4, tk: 6, d: 8, h: 2, seed: 694, mask: () => padding([6, 3], 6) }) },
      { label: "mask [B,Tq,Tk]", inputs: mha({ b: 2, tq: 4, tk: 6, d: 8, h: 2, seed: 695, biases: true, mask: () => fullMask(2, 4, 6) }) },
      { label: "per-head mask [B,h,Tq,Tk]", inputs: mha({ b: 2, tq: 4, tk: 5, d: 8, h: 2, seed: 696, mask: () => perHeadMask(2, 2, 4, 5) }) },
    ],
    points: { leaks: 2, fresh: 1, intact: 1 },
  }),
  mhaBad("error for d not divisible by numHeads", "x [2,5,8], numHeads 3", [/\b8\b/, /\b3\b/], "d = 8 and numHeads = 3", () => {
    const a = mha({ b: 2, tq: 5, d: 8, h: 2, seed: 711 })();
    return { ...a, params: { ...a.params, numHeads: 3 } };
  }),
  mhaBad("error for weights of the wrong width", "xq, xkv [2,5,8], wq/wk/wv/wo [6,6]", ["6,6", /\b8\b/], "the weights' shape [6,6] and the width 8 of the inputs", () => ({
    params: mhaParams(6, 2, 721, false),
    xq: randn([2, 5, 8], 725),
    xkv: randn([2, 5, 8], 726),
  })),
  mhaBad("error for xkv with a different batch size", "xq [2,5,8], xkv [3,6,8]", ["2,5,8", "3,6,8"], "the shapes [2,5,8] and [3,6,8]", () => ({
    params: mhaParams(8, 2, 731, false),
    xq: randn([2, 5, 8], 735),
    xkv: randn([3, 6, 8], 736),
  })),
  mhaBad("error for a mask that does not broadcast", "xq [2,5,8], xkv [2,6,8], mask [5,5]", ["5,5"], "the mask's shape [5,5]", () => ({
    params: mhaParams(8, 2, 741, false),
    xq: randn([2, 5, 8], 745),
    xkv: randn([2, 6, 8], 746),
    mask: causal(5),
  })),
];

// ---------------------------------------------------------------------------------------------
// 2.4 sinusoidalPositionalEncoding

type PeArgs = { t: number; d: number };
const peCall = (m: M, a: PeArgs): unknown => m.sinusoidalPositionalEncoding(a.t, a.d);
const pe = (t: number, d: number) => (): PeArgs => ({ t, d });

/** PE[p, 2i]² + PE[p, 2i+1]² = 1: each (sin, cos) pair shares its angle. */
function expectUnitPairs(got: unknown): void {
  const g = requireLiveTensor("output", got);
  const v = g.dataSync();
  for (let i = 0; i + 1 < v.length; i += 2) {
    const s = v[i] * v[i] + v[i + 1] * v[i + 1];
    if (!(Math.abs(s - 1) <= 1e-4)) {
      throw new CheckFailure("columns 2i and 2i+1 must be the sin and cos of the same angle (their squares add up to 1)", `PE${fmtIndex(i, g.shape)}² + PE${fmtIndex(i + 1, g.shape)}² = ${fmtNum(s)}`);
    }
  }
}

/** Row p of the student's table is the reference's row p + s (s = ±1): the positions are counted from another start. */
function rowShiftFinding(g: ReturnType<typeof arr>, e: ReturnType<typeof arr>): Finding | undefined {
  if (g.shape.length !== 2 || g.shape[0] < 3 || g.shape.some((n, i) => n !== e.shape[i])) return undefined;
  const [t, d] = g.shape;
  for (const s of [1, -1]) {
    let ok = true;
    for (let p = Math.max(0, -s); p < t - Math.max(0, s) && ok; p++) {
      for (let j = 0; j < d && ok; j++) ok = Math.abs(g.data[p * d + j] - e.data[(p + s) * d + j]) <= 1e-4 + 1e-3 * Math.abs(e.data[(p + s) * d + j]);
    }
    if (ok) return { problem: `row p of your encoding is the reference's row p ${s > 0 ? "+" : "−"} 1: your positions are counted from ${s > 0 ? "1" : "−1"} instead of 0` };
  }
  return undefined;
}

/** Which columns (features) of the encoding match, or the reference's columns in another order. */
function peProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor)) return undefined;
  const g = arr(got);
  const e = arr(expected);
  return rowShiftFinding(g, e) ?? columnFinding("encoding", g, e) ?? tensorFinding("encoding", g, e);
}

export const PE_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "2.4", name: "values, T = 6, d = 8", points: 2, inputs: pe(6, 8), call: peCall, probe: peProbe }),
  valueCheck({ exercise: "2.4", name: "values, T = 50, d = 16", points: 1, inputs: pe(50, 16), call: peCall, probe: peProbe }),
  valueCheck({ exercise: "2.4", name: "values, T = 1, d = 2 and T = 3, d = 4", points: 1, inputs: pe(1, 2), call: (m) => [m.sinusoidalPositionalEncoding(1, 2), m.sinusoidalPositionalEncoding(3, 4)] }),
  valueCheck({ exercise: "2.4", name: "PE[p,2i]² + PE[p,2i+1]² = 1 (T = 20, d = 12)", points: 1, inputs: pe(20, 12), call: peCall, judge: (got) => expectUnitPairs(got) }),
  shapeDtypeCheck({ exercise: "2.4", name: "shape [T,d], dtype float32", points: 1, inputs: pe(7, 10), call: peCall }),
  ...contractChecks<M, PeArgs>({
    exercise: "2.4",
    call: peCall,
    forms: [
      { label: "T = 9, d = 8", inputs: pe(9, 8) },
      { label: "T = 1, d = 2", inputs: pe(1, 2) },
    ],
    points: { leaks: 1, fresh: 1 },
  }),
  badInputCheck<M>({
    exercise: "2.4",
    name: "odd d raises an error naming sinusoidalPositionalEncoding and d",
    points: 1,
    cases: [{ describe: "T = 4, d = 7", call: (m) => m.sinusoidalPositionalEncoding(4, 7), mention: [/\b7\b/], mentionText: "the odd d = 7" }],
  }),
  badInputCheck<M>({
    exercise: "2.4",
    name: "T = 0 raises an error naming sinusoidalPositionalEncoding",
    points: 1,
    cases: [{ describe: "T = 0, d = 8", call: (m) => m.sinusoidalPositionalEncoding(0, 8), mention: [/\b0\b/], mentionText: "the bad T = 0" }],
  }),
];
