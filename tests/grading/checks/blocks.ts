/**
 * Graded checks for lib/blocks.ts: exercises 3.1 layerNorm (10), 3.2 feedForward (10),
 * 3.3 encoderLayer (20) and 3.4 decoderLayer (25).
 *
 * Parameters are injected and seeded (layer norms with gamma ≠ 1 and beta ≠ 0, biases
 * everywhere, weights of standard deviation 1/sqrt(d_in)). The student's layers run on their own
 * multiHeadAttention (lib/blocks.ts imports ./multihead); when a layer's value check fails and
 * that multiHeadAttention disagrees with the reference on a small case, the feedback says so
 * (mhaPrerequisite), so a mistake in 2.3 is not mistaken for a second one in 3.3/3.4.
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderLayerParams, EncoderLayerParams, FeedForwardParams, LayerNormParams } from "../../../solutions/blocks";
import * as refMultihead from "../../../solutions/multihead";
import { CheckFailure, fmtIndex, fmtNum, requireLiveTensor, sameResult } from "../../../grader/compare";
import type { BlocksModule, Check, CheckContext, MultiheadModule } from "../../../grader/types";
import { badInputCheck, inputsIntactCheck, leakCheck, randn, shapeDtypeCheck, valueCheck, type BadInputCase } from "../../../grader/builders";
import { isWatchdogTimeout, restoreEngine, snapshotEngine } from "../../../grader/watchdog";
import { causal, mhaParams, padding } from "./multihead";

type M = BlocksModule;

/** Functions whose name in an error raised through a layer counts as naming the layer (see BadInputCase.alsoNamed). */
const BUILDING_BLOCKS = ["layerNorm", "feedForward", "multiHeadAttention", "scaledDotProductAttention"] as const;

export const MHA_PREREQUISITE_NOTE = "your multiHeadAttention (2.3) does not match the reference yet; fix 2.3 first";

/**
 * The note for a failed 3.3/3.4 check when the student's multiHeadAttention (the one their
 * layers import) gets a small self-attention case with a padding mask, or a small
 * cross-attention case, wrong or throws. Its tensors are freed; a timeout is passed on.
 */
export function mhaPrerequisite(ctx: CheckContext): string | undefined {
  const dep = ctx.deps.multihead as Partial<MultiheadModule> | undefined;
  if (!dep || typeof dep.multiHeadAttention !== "function") return undefined;
  const studentMha = dep.multiHeadAttention;
  const snap = snapshotEngine();
  tf.engine().startScope();
  try {
    const p = mhaParams(4, 2, 951, true);
    const x = randn([2, 3, 4], 961);
    const memory = randn([2, 5, 4], 962);
    const cases: [tf.Tensor, tf.Tensor, tf.Tensor | undefined][] = [
      [x, x, padding([3, 2], 3)],
      [x, memory, undefined],
    ];
    for (const [xq, xkv, mask] of cases) {
      const expected = refMultihead.multiHeadAttention(p, xq, xkv, mask);
      let got: unknown;
      try {
        got = mask === undefined ? studentMha(p, xq, xkv) : studentMha(p, xq, xkv, mask);
      } catch (e) {
        if (isWatchdogTimeout(e)) throw e;
        return MHA_PREREQUISITE_NOTE;
      }
      if (!sameResult(got, expected)) return MHA_PREREQUISITE_NOTE;
    }
    return undefined;
  } finally {
    restoreEngine(snap);
  }
}

/** Every tensor of a nested params object as a top-level entry ("selfAttn.wq"), for inputsIntactCheck. */
function flatten(prefix: string, x: unknown, out: Record<string, unknown> = {}): Record<string, unknown> {
  if (x instanceof tf.Tensor) out[prefix] = x;
  else if (x !== null && typeof x === "object") for (const [k, v] of Object.entries(x)) flatten(`${prefix}.${k}`, v, out);
  return out;
}

export function lnParams(d: number, seed: number): LayerNormParams {
  return { gamma: tf.tidy(() => tf.add(1, randn([d], seed, 0.3))), beta: randn([d], seed + 1, 0.3) };
}

export function ffnParams(d: number, dff: number, seed: number): FeedForwardParams {
  return { w1: randn([d, dff], seed, 1 / Math.sqrt(d)), b1: randn([dff], seed + 1, 0.5), w2: randn([dff, d], seed + 2, 1 / Math.sqrt(dff)), b2: randn([d], seed + 3, 0.5) };
}

function encoderParams(d: number, h: number, dff: number, seed: number): EncoderLayerParams {
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

/** With gamma = 1 and beta = 0, every position's features have mean 0 and (biased) variance 1. */
function expectStandardised(got: unknown): void {
  const g = requireLiveTensor("output", got);
  const { mean, variance } = tf.tidy(() => tf.moments(g, -1));
  const mv = mean.dataSync();
  const vv = variance.dataSync();
  tf.dispose([mean, variance]);
  const rowShape = g.shape.slice(0, -1);
  for (let i = 0; i < mv.length; i++) {
    if (!(Math.abs(mv[i]) <= 1e-4)) throw new CheckFailure(`the features of position ${fmtIndex(i, rowShape)} have mean ${fmtNum(mv[i])}, expected 0 (gamma = 1, beta = 0): normalise over the last axis`);
    if (!(Math.abs(vv[i] - 1) <= 1e-3)) throw new CheckFailure(`the features of position ${fmtIndex(i, rowShape)} have variance ${fmtNum(vv[i])}, expected 1 (gamma = 1, beta = 0)`);
  }
}

export const LAYER_NORM_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "3.1", name: "values, x [2,5,8], default eps", points: 2, inputs: lnArgs([2, 5, 8], 801), call: lnCall }),
  valueCheck({
    exercise: "3.1",
    name: "values, x [3,6] and x [2,2,3,4] with eps = 0.5",
    points: 1,
    inputs: () => ({ a: lnArgs([3, 6], 811)(), b: lnArgs([2, 2, 3, 4], 815, { std: 1, offset: 0, eps: 0.5 })() }),
    call: (m, a) => [lnCall(m, a.a), lnCall(m, a.b)],
  }),
  valueCheck({ exercise: "3.1", name: "values, nearly constant features (std 0.001), where eps matters", points: 2, inputs: lnArgs([2, 4, 8], 821, { std: 1e-3, offset: 0 }), call: lnCall }),
  valueCheck({
    exercise: "3.1",
    name: "gamma = 1, beta = 0: each position has mean 0 and variance 1",
    points: 1,
    inputs: () => ({ x: tf.tidy(() => tf.add(randn([4, 5, 16], 831, 2), 3)), gamma: tf.ones([16]), beta: tf.zeros([16]) }),
    call: lnCall,
    judge: (got) => expectStandardised(got),
  }),
  shapeDtypeCheck({ exercise: "3.1", name: "output shape = x's shape, dtype float32", points: 1, inputs: lnArgs([2, 3, 6], 841), call: lnCall }),
  leakCheck({ exercise: "3.1", name: "no leaked tensors", points: 1, cases: () => [lnArgs([2, 5, 8], 851)(), lnArgs([3, 4], 852, { eps: 0.1 })()], call: lnCall }),
  inputsIntactCheck({ exercise: "3.1", name: "inputs (x, gamma, beta) not modified or disposed", points: 1, inputs: lnArgs([2, 5, 8], 861), call: lnCall }),
  badInputCheck<M>({
    exercise: "3.1",
    name: "gamma and beta of the wrong width raise an error naming layerNorm and the shapes",
    points: 1,
    cases: [{ describe: "x [2,5,8], gamma [6], beta [6]", call: (m) => m.layerNorm(randn([2, 5, 8], 871), tf.ones([6]), tf.zeros([6])), mention: [/\b6\b/, /\b8\b/], mentionText: "gamma's length 6 and x's width 8" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 3.2 feedForward

type FfnArgs = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor; x: tf.Tensor };
const ffnCall = (m: M, a: FfnArgs): unknown => m.feedForward({ w1: a.w1, b1: a.b1, w2: a.w2, b2: a.b2 }, a.x);
const ffnArgs = (shape: number[], dff: number, seed: number) => (): FfnArgs => ({ ...ffnParams(shape[2], dff, seed), x: randn(shape, seed + 5) });

export const FFN_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "3.2", name: "values, x [2,5,8], dff 16", points: 3, inputs: ffnArgs([2, 5, 8], 16, 901), call: ffnCall }),
  valueCheck({ exercise: "3.2", name: "values, x [3,2,6], dff 24", points: 2, inputs: ffnArgs([3, 2, 6], 24, 911), call: ffnCall }),
  valueCheck({ exercise: "3.2", name: "values, x [1,1,4] (one position), dff 6", points: 1, inputs: ffnArgs([1, 1, 4], 6, 925), call: ffnCall }),
  shapeDtypeCheck({ exercise: "3.2", name: "output [B,T,d], dtype float32", points: 1, inputs: ffnArgs([2, 3, 4], 12, 931), call: ffnCall }),
  leakCheck({ exercise: "3.2", name: "no leaked tensors", points: 1, cases: () => [ffnArgs([2, 5, 8], 16, 941)()], call: ffnCall }),
  inputsIntactCheck({ exercise: "3.2", name: "inputs (x, w1, b1, w2, b2) not modified or disposed", points: 1, inputs: ffnArgs([2, 5, 8], 16, 951), call: ffnCall }),
  badInputCheck<M>({
    exercise: "3.2",
    name: "weights of the wrong width raise an error naming feedForward and the shapes",
    points: 1,
    cases: [{ describe: "x [2,5,8], w1 [6,16], w2 [16,6]", call: (m) => m.feedForward(ffnParams(6, 16, 961), randn([2, 5, 8], 965)), mention: ["6,16", /\b8\b/], mentionText: "w1's shape [6,16] and x's width 8" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 3.3 encoderLayer

type EncArgs = { params: EncoderLayerParams; x: tf.Tensor; mask?: tf.Tensor } & Record<string, unknown>;
const encCall = (m: M, a: EncArgs): unknown => (a.mask === undefined ? m.encoderLayer(a.params, a.x) : m.encoderLayer(a.params, a.x, a.mask));

function enc(c: { b: number; t: number; d: number; h: number; dff: number; seed: number; lengths?: number[] }): () => EncArgs {
  return () => {
    const params = encoderParams(c.d, c.h, c.dff, c.seed);
    const a: EncArgs = { params, x: randn([c.b, c.t, c.d], c.seed + 50), mask: c.lengths ? padding(c.lengths, c.t) : undefined };
    return { ...flatten("params", params), ...a };
  };
}

function layerBad(exercise: string, name: string, c: Omit<BadInputCase<M>, "call" | "alsoNamed"> & { call: (m: M) => unknown }): Check<M> {
  return badInputCheck<M>({ exercise, name, points: 1, cases: [{ ...c, alsoNamed: BUILDING_BLOCKS }] });
}

export const ENCODER_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "3.3", name: "values, no mask: x [2,5,8], 2 heads, dff 16", points: 4, inputs: enc({ b: 2, t: 5, d: 8, h: 2, dff: 16, seed: 1001 }), call: encCall, explain: mhaPrerequisite }),
  valueCheck({ exercise: "3.3", name: "values, padding mask [2,1,5] (lengths 5,3): x [2,5,8], 2 heads", points: 4, inputs: enc({ b: 2, t: 5, d: 8, h: 2, dff: 16, seed: 1101, lengths: [5, 3] }), call: encCall, explain: mhaPrerequisite }),
  valueCheck({ exercise: "3.3", name: "values, padding mask [3,1,4]: x [3,4,12], 3 heads, dff 24", points: 3, inputs: enc({ b: 3, t: 4, d: 12, h: 3, dff: 24, seed: 1201, lengths: [4, 2, 3] }), call: encCall, explain: mhaPrerequisite }),
  shapeDtypeCheck({ exercise: "3.3", name: "output [B,T,d] and selfWeights [B,h,T,T], dtype float32", points: 2, inputs: enc({ b: 2, t: 3, d: 8, h: 4, dff: 8, seed: 1301 }), call: encCall, explain: mhaPrerequisite }),
  leakCheck({ exercise: "3.3", name: "no leaked tensors (with and without a mask)", points: 2, cases: () => [enc({ b: 2, t: 5, d: 8, h: 2, dff: 16, seed: 1401 })(), enc({ b: 2, t: 4, d: 8, h: 2, dff: 16, seed: 1402, lengths: [4, 2] })()], call: encCall }),
  inputsIntactCheck({ exercise: "3.3", name: "inputs (x, mask, every parameter) not modified or disposed", points: 2, inputs: enc({ b: 2, t: 4, d: 8, h: 2, dff: 16, seed: 1501, lengths: [4, 2] }), call: encCall }),
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

type DecArgs = { params: DecoderLayerParams; y: tf.Tensor; memory: tf.Tensor; selfMask: tf.Tensor; memoryMask?: tf.Tensor } & Record<string, unknown>;
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
}

function dec(c: DecCase): () => DecArgs {
  return () => {
    const params = decoderParams(c.d, c.h, c.dff, c.seed);
    const selfMask = c.yLengths ? tf.tidy(() => tf.mul(causal(c.ty), padding(c.yLengths as number[], c.ty))) : causal(c.ty);
    const a: DecArgs = {
      params,
      y: randn([c.b, c.ty, c.d], c.seed + 50),
      memory: randn([c.b, c.tx, c.d], c.seed + 51),
      selfMask,
      memoryMask: c.memLengths ? padding(c.memLengths, c.tx) : undefined,
    };
    return { ...flatten("params", params), ...a };
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
        `output${fmtIndex(i, [bs, PREFIX, d])} changed from ${fmtNum(va[i])} to ${fmtNum(vb[i])} when only y at positions >= ${PREFIX} changed: ` +
          "position i may only see positions j <= i (apply selfMask in the self-attention)",
      );
    }
  }
}

export const DECODER_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "3.4", name: "values, causal selfMask, no memoryMask: y [2,4,8], memory [2,6,8], 2 heads", points: 4, inputs: dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2001 }), call: decCall, explain: mhaPrerequisite }),
  valueCheck({
    exercise: "3.4",
    name: "values, causal selfMask, memoryMask [2,1,6] (lengths 6,3): y [2,4,8], memory [2,6,8]",
    points: 4,
    inputs: dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2101, memLengths: [6, 3] }),
    call: decCall,
    explain: mhaPrerequisite,
  }),
  valueCheck({ exercise: "3.4", name: "values, y [2,5,12], memory [2,3,12], 3 heads, dff 24", points: 3, inputs: dec({ b: 2, ty: 5, tx: 3, d: 12, h: 3, dff: 24, seed: 2201 }), call: decCall, explain: mhaPrerequisite }),
  valueCheck({
    exercise: "3.4",
    name: "values, selfMask = causal × target padding [2,5,5], memoryMask [2,1,4]",
    points: 2,
    inputs: dec({ b: 2, ty: 5, tx: 4, d: 8, h: 2, dff: 16, seed: 2301, yLengths: [5, 3], memLengths: [4, 2] }),
    call: decCall,
    explain: mhaPrerequisite,
  }),
  valueCheck({
    exercise: "3.4",
    name: "causal: the output at positions 0-1 does not change when y changes at positions >= 2",
    points: 2,
    inputs: () => {
      const a = dec({ b: 2, ty: 5, tx: 4, d: 8, h: 2, dff: 16, seed: 2401 })();
      const y2 = tf.tidy(() => tf.concat([a.y.slice([0, 0, 0], [2, PREFIX, 8]), randn([2, 5 - PREFIX, 8], 2450)], 1));
      return { ...a, y2 };
    },
    call: (m, a) => [(decCall(m, a) as { output: unknown })?.output, (decCall(m, { ...a, y: a.y2 as tf.Tensor }) as { output: unknown })?.output],
    judge: (got) => expectCausal(got),
    explain: mhaPrerequisite,
  }),
  shapeDtypeCheck({ exercise: "3.4", name: "output [B,Ty,d], selfWeights [B,h,Ty,Ty], crossWeights [B,h,Ty,Tx], dtype float32", points: 2, inputs: dec({ b: 2, ty: 3, tx: 5, d: 8, h: 4, dff: 8, seed: 2501 }), call: decCall, explain: mhaPrerequisite }),
  leakCheck({
    exercise: "3.4",
    name: "no leaked tensors (with and without memoryMask)",
    points: 2,
    cases: () => [dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2601 })(), dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2602, memLengths: [6, 2] })()],
    call: decCall,
  }),
  inputsIntactCheck({ exercise: "3.4", name: "inputs (y, memory, masks, every parameter) not modified or disposed", points: 2, inputs: dec({ b: 2, ty: 4, tx: 6, d: 8, h: 2, dff: 16, seed: 2701, memLengths: [6, 2] }), call: decCall }),
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
