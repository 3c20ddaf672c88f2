/**
 * Graded checks for lib/bert.ts: exercises 4.1 mlmMask (25), 4.2 clsPool (6),
 * 4.3 classifierHead (10) and 4.4 encoderForward (20).
 *
 * mlmMask is graded exactly against the reference on seeded small inputs (its random numbers are
 * fixed by the documented recipe) and statistically on a large batch (rates, the rules about
 * special ids), so a student who draws the numbers differently still learns which rule holds.
 * encoderForward runs on the student's own encoderLayer and layerNorm; cause finding names them
 * when they are the reason ("fix 3.3 first").
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierHeadParams, EncoderParams, MlmMaskOptions } from "../../../solutions/bert";
import { CheckFailure, describeValue, fmtNum, requireLiveTensor } from "../../../grader/compare";
import type { Finding } from "../../../grader/diagnose";
import { arr } from "../../../grader/probes";
import type { BertModule, Check } from "../../../grader/types";
import { badInputCheck, contractChecks, expectShapeAndDtype, randn, shapeDtypeCheck, valueCheck } from "../../../grader/builders";
import { seededRandom } from "../../../lib/support/random";
import { lnParams, ffnParams } from "./blocks";
import { causal, mhaParams, padding } from "./multihead";

type M = BertModule;

/** The ignore index of the labels (lib/support/types.ts IGNORE_INDEX). */
const IGNORE = -100;

// ---------------------------------------------------------------------------------------------
// 4.1 mlmMask

/** The kit's special ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4. */
const SPECIALS = [0, 1, 2, 3, 4];
const MASK = 4;

/**
 * [B, T] int32 ids as the tokenizer frames them: [CLS] tokens [SEP] then [PAD], lengths from
 * T down to about T/3; regular tokens in [5, V), now and then an [UNK].
 */
export function framedIds(b: number, t: number, vocabSize: number, seed: number): tf.Tensor {
  const rand = seededRandom(seed);
  const rows: number[][] = [];
  for (let r = 0; r < b; r++) {
    const len = r === 0 ? t : Math.max(3, Math.round(t * (0.35 + 0.6 * rand())));
    const row = [2];
    for (let j = 1; j < len - 1; j++) row.push(rand() < 0.05 ? 1 : 5 + Math.floor(rand() * (vocabSize - 5)));
    row.push(3);
    while (row.length < t) row.push(0);
    rows.push(row);
  }
  return tf.tensor2d(rows, [b, t], "int32");
}

type MaskArgs = { ids: tf.Tensor; options: MlmMaskOptions };
const maskCall = (m: M, a: MaskArgs): unknown => m.mlmMask(a.ids, a.options);

function maskArgs(b: number, t: number, vocabSize: number, seed: number, o: { rate?: number; specialIds?: number[] } = {}): () => MaskArgs {
  return () => {
    const options: MlmMaskOptions = { maskId: MASK, vocabSize, seed, specialIds: o.specialIds ?? SPECIALS };
    if (o.rate !== undefined) options.rate = o.rate;
    return { ids: framedIds(b, t, vocabSize, seed + 7), options };
  };
}

interface MaskStats {
  eligible: number;
  chosen: number;
  /** Chosen positions that became [MASK], another token, or kept their id. */
  masked: number;
  replaced: number;
  kept: number;
  /** Special positions chosen or changed; labels that are neither IGNORE nor the original id. */
  specialTouched: number;
  badLabels: number;
  /** Positions changed but not labelled; replacements that are special ids or out of range. */
  unlabelledChanges: number;
  specialReplacements: number;
}

function maskStats(got: unknown, args: MaskArgs): MaskStats {
  const r = got as { inputs?: unknown; labels?: unknown } | null;
  if (r === null || typeof r !== "object") throw new CheckFailure("mlmMask must return an object { inputs, labels }");
  const inputs = arr(requireLiveTensor("inputs", r.inputs)).data;
  const labels = arr(requireLiveTensor("labels", r.labels)).data;
  const ids = arr(args.ids).data;
  if (inputs.length !== ids.length || labels.length !== ids.length) throw new CheckFailure("inputs and labels must have the shape of ids [B, T]");
  const special = new Set(args.options.specialIds);
  const s: MaskStats = { eligible: 0, chosen: 0, masked: 0, replaced: 0, kept: 0, specialTouched: 0, badLabels: 0, unlabelledChanges: 0, specialReplacements: 0 };
  for (let i = 0; i < ids.length; i++) {
    const isSpecial = special.has(ids[i]);
    const chosen = labels[i] !== IGNORE;
    if (!isSpecial) s.eligible++;
    if (isSpecial && (chosen || inputs[i] !== ids[i])) s.specialTouched++;
    if (chosen && labels[i] !== ids[i]) s.badLabels++;
    if (!chosen && inputs[i] !== ids[i]) s.unlabelledChanges++;
    if (!chosen || isSpecial) continue;
    s.chosen++;
    if (inputs[i] === args.options.maskId) s.masked++;
    else if (inputs[i] === ids[i]) s.kept++;
    else {
      s.replaced++;
      if (special.has(inputs[i]) || inputs[i] < 0 || inputs[i] >= args.options.vocabSize) s.specialReplacements++;
    }
  }
  return s;
}

/** Within `sigmas` binomial standard deviations of p·n. */
function expectRate(what: string, count: number, n: number, p: number, sigmas = 5): void {
  const sd = Math.sqrt(n * p * (1 - p));
  if (Math.abs(count - p * n) > sigmas * sd) {
    throw new CheckFailure(`${what} is far from ${fmtNum(100 * p)}%`, `${count} of ${n} (${fmtNum((100 * count) / n)}%); expected about ${Math.round(p * n)} ± ${Math.round(sigmas * sd)}`);
  }
}

/**
 * What a wrong mask shows, compared with the reference's on the same ids: whether the chosen
 * positions (labels) differ, or the split of the chosen ones into [MASK] / random / unchanged,
 * or only the random tokens drawn.
 */
function maskProbe(got: unknown, expected: unknown, args: MaskArgs): Finding | undefined {
  const r = got as { inputs?: unknown; labels?: unknown } | null;
  const live = (x: unknown) => x instanceof tf.Tensor && !x.isDisposed && x.shape.join() === args.ids.shape.join();
  if (r === null || typeof r !== "object" || !live(r.inputs) || !live(r.labels)) return undefined;
  const e = expected as { inputs: tf.Tensor; labels: tf.Tensor };
  const [gi, gl, ei, el] = [r.inputs as tf.Tensor, r.labels as tf.Tensor, e.inputs, e.labels].map((t) => arr(t).data);
  const gs = maskStats(got, args);
  const es = maskStats(expected, args);
  if (gs.badLabels > 0) return { problem: "a label must be the original id at a chosen position and IGNORE_INDEX (-100) everywhere else", detail: `${gs.badLabels} labels are neither -100 nor the id at their position` };
  if (gs.specialTouched > 0) return { problem: "your mlmMask chooses or changes positions that hold special ids (padding, [CLS], [SEP] …): only the other positions are eligible", detail: `${gs.specialTouched} special positions touched` };
  const sameChoice = gl.every((v, i) => (v === IGNORE) === (el[i] === IGNORE));
  if (!sameChoice) {
    return {
      problem: "your mlmMask chooses other positions than the reference: a position is chosen when it is eligible and u < rate, with u = randu([B, T], seed)",
      detail: `${gs.chosen} of ${gs.eligible} eligible positions chosen, the reference chose ${es.chosen} (rate ${args.options.rate ?? 0.15})`,
    };
  }
  const kind = (inputs: ArrayLike<number>, i: number) => (inputs[i] === args.options.maskId ? "mask" : inputs[i] === arr(args.ids).data[i] ? "kept" : "random");
  const chosen = Array.from(el, (v, i) => i).filter((i) => el[i] !== IGNORE);
  const splitDiffers = chosen.filter((i) => kind(gi, i) !== kind(ei, i)).length;
  if (splitDiffers > 0) {
    return {
      problem: "your mlmMask chooses the right positions, but which of them become [MASK], a random token or stay unchanged differs: with a = randu([B, T], seed + 1), [MASK] if a < 0.8, a random token if 0.8 <= a < 0.9, unchanged otherwise",
      detail: `${splitDiffers} of ${chosen.length} chosen positions; yours: ${gs.masked} [MASK], ${gs.replaced} random, ${gs.kept} unchanged; the reference: ${es.masked}, ${es.replaced}, ${es.kept}`,
    };
  }
  const tokensDiffer = chosen.filter((i) => gi[i] !== ei[i]).length;
  if (tokensDiffer > 0) {
    return {
      problem: "your mlmMask makes the right positions random, but draws other random tokens: regular[min(floor(r·n), n − 1)] with r = randu([B, T], seed + 2), where regular lists the n ids that are neither in specialIds nor maskId, in increasing order",
      detail: `${tokensDiffer} of ${gs.replaced} random tokens differ`,
    };
  }
  return undefined;
}

/** A big batch (64 × 128, about a third padding) for the rates. */
const bigBatch = (seed: number, rate?: number) => maskArgs(64, 128, 500, seed, { rate });

export const MLM_MASK_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "4.1", name: "values, ids [3,12] with [CLS]/[SEP]/padding, default rate, seed 5", points: 3, inputs: maskArgs(3, 12, 30, 5), call: maskCall, probe: maskProbe }),
  valueCheck({ exercise: "4.1", name: "values, ids [8,32], rate 0.5, seed 17", points: 4, inputs: maskArgs(8, 32, 40, 17, { rate: 0.5 }), call: maskCall, probe: maskProbe }),
  valueCheck({ exercise: "4.1", name: "values, ids [6,20], rate 0.3, specialIds [0,1,2,3] (maskId 4 not listed), seed 23", points: 2, inputs: maskArgs(6, 20, 25, 23, { rate: 0.3, specialIds: [0, 1, 2, 3] }), call: maskCall, probe: maskProbe }),
  valueCheck({
    exercise: "4.1",
    name: "never chooses or changes a special id ([PAD], [CLS], [SEP], [UNK]); labels only where chosen",
    points: 4,
    inputs: bigBatch(31, 0.3),
    call: maskCall,
    judge: (got, _e, args) => {
      const s = maskStats(got, args);
      if (s.badLabels > 0) throw new CheckFailure("a label must be the original id at a chosen position and IGNORE_INDEX (-100) everywhere else", `${s.badLabels} labels are neither -100 nor the id at their position`);
      if (s.specialTouched > 0) throw new CheckFailure("your mlmMask chooses or changes positions that hold special ids (padding, [CLS], [SEP] …): only the other positions are eligible", `${s.specialTouched} special positions touched`);
      if (s.unlabelledChanges > 0) throw new CheckFailure("your mlmMask changes inputs at positions whose label is IGNORE_INDEX: a changed position must be scored (labelled)", `${s.unlabelledChanges} positions`);
    },
  }),
  valueCheck({
    exercise: "4.1",
    name: "rates on 64 × 128 ids: 15% of the eligible positions chosen; of those 80% [MASK], 10% random, 10% unchanged",
    points: 3,
    inputs: bigBatch(41),
    call: maskCall,
    judge: (got, _e, args) => {
      const s = maskStats(got, args);
      expectRate("the share of eligible positions chosen (labelled)", s.chosen, s.eligible, 0.15);
      expectRate("the share of chosen positions that became [MASK]", s.masked, s.chosen, 0.8);
      expectRate("the share of chosen positions given a random token", s.replaced, s.chosen, 0.1);
      expectRate("the share of chosen positions left unchanged", s.kept, s.chosen, 0.1);
    },
  }),
  valueCheck({
    exercise: "4.1",
    name: "random replacements are regular tokens, never special ids or [MASK]",
    points: 2,
    inputs: () => maskArgs(64, 64, 12, 53, { rate: 1 })(),
    call: maskCall,
    judge: (got, _e, args) => {
      const s = maskStats(got, args);
      if (s.specialReplacements > 0) {
        throw new CheckFailure("your random replacements include special ids or ids outside [0, vocabSize): draw them from the regular ids only (not in specialIds, not maskId)", `${s.specialReplacements} of ${s.replaced} replacements`);
      }
    },
  }),
  valueCheck({
    exercise: "4.1",
    name: "another seed gives another choice",
    points: 1,
    inputs: maskArgs(4, 32, 50, 61),
    call: (m, a) => [maskCall(m, a), maskCall(m, { ...a, options: { ...a.options, seed: a.options.seed + 100 } })],
    judge: (got) => {
      const [x, y] = Array.isArray(got) ? got : [];
      const lx = arr(requireLiveTensor("labels", (x as { labels?: unknown })?.labels)).data;
      const ly = arr(requireLiveTensor("labels", (y as { labels?: unknown })?.labels)).data;
      if (lx.every((v, i) => v === ly[i])) throw new CheckFailure("seeds 61 and 161 chose exactly the same positions: the seed must drive the random numbers (randu(shape, seed) …)");
    },
  }),
  shapeDtypeCheck({ exercise: "4.1", name: "inputs and labels: int32 [B,T]", points: 1, inputs: maskArgs(2, 10, 30, 71), call: maskCall }),
  ...contractChecks<M, MaskArgs>({
    exercise: "4.1",
    call: maskCall,
    forms: [
      { label: "default rate", inputs: maskArgs(3, 12, 30, 81) },
      { label: "rate 0.5, specialIds without maskId", inputs: maskArgs(3, 12, 30, 82, { rate: 0.5, specialIds: [0, 1, 2, 3] }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "4.1",
    name: "float ids and ids outside the vocabulary raise an error naming mlmMask",
    points: 1,
    cases: [
      { describe: "ids float32 [2,5]", call: (m) => m.mlmMask(tf.zeros([2, 5]), { maskId: 4, vocabSize: 30, seed: 1, specialIds: SPECIALS }), mention: [/int32/], mentionText: "that ids must be int32" },
      { describe: "ids [1,3] holding 35, vocabSize 30", call: (m) => m.mlmMask(tf.tensor2d([[2, 35, 3]], [1, 3], "int32"), { maskId: 4, vocabSize: 30, seed: 1, specialIds: SPECIALS }), mention: [/\b35\b/], mentionText: "the id 35" },
    ],
  }),
  badInputCheck<M>({
    exercise: "4.1",
    name: "a seed that is not a positive integer and a rate outside (0, 1] raise an error naming mlmMask",
    points: 1,
    cases: [
      { describe: "seed 0", call: (m) => m.mlmMask(tf.tensor2d([[2, 7, 3]], [1, 3], "int32"), { maskId: 4, vocabSize: 30, seed: 0, specialIds: SPECIALS }), mention: [/seed/], mentionText: "the seed" },
      { describe: "rate 1.5", call: (m) => m.mlmMask(tf.tensor2d([[2, 7, 3]], [1, 3], "int32"), { maskId: 4, vocabSize: 30, seed: 1, rate: 1.5, specialIds: SPECIALS }), mention: [/rate|1\.5/], mentionText: "the rate 1.5" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 4.2 clsPool

type PoolArgs = { hidden: tf.Tensor };
const poolCall = (m: M, a: PoolArgs): unknown => m.clsPool(a.hidden);
const poolArgs = (shape: number[], seed: number) => (): PoolArgs => ({ hidden: randn(shape, seed) });

/** Which position of hidden the student's [B, d] result is, if it is one. */
function poolProbe(got: unknown, _expected: unknown, args: PoolArgs): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || got.rank !== 2) return undefined;
  const [b, t, d] = args.hidden.shape;
  if (got.shape[0] !== b || got.shape[1] !== d) return undefined;
  const g = arr(got).data;
  const h = arr(args.hidden).data;
  for (let p = 1; p < t; p++) {
    let same = true;
    for (let bi = 0; bi < b && same; bi++) for (let j = 0; j < d && same; j++) same = Math.abs(g[bi * d + j] - h[(bi * t + p) * d + j]) < 1e-5;
    if (same) return { problem: `your result is the vector at position ${p}${p === t - 1 ? " (the last one)" : ""}, not at position 0 ([CLS])` };
  }
  return undefined;
}

export const CLS_POOL_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "4.2", name: "values, hidden [3,5,4]", points: 1, inputs: poolArgs([3, 5, 4], 4201), call: poolCall, probe: poolProbe }),
  valueCheck({ exercise: "4.2", name: "values, hidden [2,7,8]", points: 1, inputs: poolArgs([2, 7, 8], 4202), call: poolCall, probe: poolProbe }),
  ...contractChecks<M, PoolArgs>({
    exercise: "4.2",
    call: poolCall,
    forms: [
      { label: "hidden [3,5,4]", inputs: poolArgs([3, 5, 4], 4211) },
      { label: "hidden [1,1,8]", inputs: poolArgs([1, 1, 8], 4212) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "4.2",
    name: "hidden of rank 2 raises an error naming clsPool and the shape",
    points: 1,
    cases: [{ describe: "hidden [5,8]", call: (m) => m.clsPool(randn([5, 8], 4221)), mention: ["5,8"], mentionText: "hidden's shape [5,8]" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 4.3 classifierHead

type HeadArgs = { params: ClassifierHeadParams; pooled: tf.Tensor };
const headCall = (m: M, a: HeadArgs): unknown => m.classifierHead(a.params, a.pooled);

export function headParams(d: number, c: number, seed: number): ClassifierHeadParams {
  return {
    pooler: { w: randn([d, d], seed, 1 / Math.sqrt(d)), b: randn([d], seed + 1, 0.5) },
    output: { w: randn([d, c], seed + 2, 1 / Math.sqrt(d)), b: randn([c], seed + 3, 0.5) },
  };
}

/** Pooled vectors of std 2: large enough that tanh saturates somewhere. */
const headArgs = (b: number, d: number, c: number, seed: number) => (): HeadArgs => ({ params: headParams(d, c, seed), pooled: randn([b, d], seed + 9, 2) });

function headProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || got.rank !== 2) return undefined;
  const g = arr(got);
  const [b, c] = g.shape;
  const rowsSumToOne = Array.from({ length: b }, (_, r) => g.data.slice(r * c, (r + 1) * c).reduce((s, v) => s + v, 0)).every((s) => Math.abs(s - 1) < 1e-4);
  if (rowsSumToOne && g.data.every((v) => v >= 0)) return { problem: "every row of your result is non-negative and sums to 1: you return probabilities, but classifierHead returns logits (the loss applies the softmax)" };
  return undefined;
}

export const CLASSIFIER_HEAD_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "4.3", name: "values, pooled [4,8], 2 classes", points: 3, inputs: headArgs(4, 8, 2, 4301), call: headCall, probe: headProbe }),
  valueCheck({ exercise: "4.3", name: "values, pooled [3,6], 3 classes", points: 2, inputs: headArgs(3, 6, 3, 4311), call: headCall, probe: headProbe }),
  shapeDtypeCheck({ exercise: "4.3", name: "logits [B,C], dtype float32", points: 1, inputs: headArgs(5, 4, 3, 4321), call: headCall }),
  ...contractChecks<M, HeadArgs>({
    exercise: "4.3",
    call: headCall,
    forms: [
      { label: "pooled [4,8], 2 classes", inputs: headArgs(4, 8, 2, 4331) },
      { label: "pooled [1,4], 5 classes", inputs: headArgs(1, 4, 5, 4332) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "4.3",
    name: "a pooler of the wrong width raises an error naming classifierHead and the shapes",
    points: 1,
    cases: [{ describe: "pooled [4,8], pooler.w [6,6]", call: (m) => m.classifierHead(headParams(6, 2, 4341), randn([4, 8], 4345)), mention: ["6,6", /\b8\b/], mentionText: "pooler.w's shape [6,6] and pooled's width 8" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 4.4 encoderForward

type EncArgs = { params: EncoderParams; ids: tf.Tensor; mask?: tf.Tensor };
const encCall = (m: M, a: EncArgs): unknown => (a.mask === undefined ? m.encoderForward(a.params, a.ids) : m.encoderForward(a.params, a.ids, a.mask));

export function encoderParams(c: { v: number; context: number; d: number; h: number; dff: number; layers: number; seed: number }): EncoderParams {
  return {
    tokenEmbedding: randn([c.v, c.d], c.seed, 1),
    positionEmbedding: randn([c.context, c.d], c.seed + 1, 0.5),
    layers: Array.from({ length: c.layers }, (_, i) => ({
      selfAttn: mhaParams(c.d, c.h, c.seed + 100 * (i + 1), true),
      ffn: ffnParams(c.d, c.dff, c.seed + 100 * (i + 1) + 20),
      norm1: lnParams(c.d, c.seed + 100 * (i + 1) + 30),
      norm2: lnParams(c.d, c.seed + 100 * (i + 1) + 32),
    })),
    finalNorm: lnParams(c.d, c.seed + 2),
  };
}

interface EncCase {
  b: number;
  t: number;
  context?: number;
  d: number;
  h: number;
  layers?: number;
  seed: number;
  /** Padding mask [B,1,T] from these lengths (ids are padded after them). */
  lengths?: number[];
  mask?: (t: number) => tf.Tensor;
}

function enc(c: EncCase): () => EncArgs {
  return () => {
    const v = 20;
    const params = encoderParams({ v, context: c.context ?? c.t + 2, d: c.d, h: c.h, dff: 2 * c.d, layers: c.layers ?? 2, seed: c.seed });
    const rand = seededRandom(c.seed + 5);
    const rows = Array.from({ length: c.b }, (_, r) => Array.from({ length: c.t }, (_, j) => (j === 0 ? 2 : c.lengths && j >= c.lengths[r] ? 0 : 5 + Math.floor(rand() * (v - 5)))));
    return { params, ids: tf.tensor2d(rows, [c.b, c.t], "int32"), mask: c.lengths ? padding(c.lengths, c.t) : c.mask?.(c.t) };
  };
}

/** Which part of the result first differs: the attention weights of layer 0 tell whether the input to the layers is right. */
function encProbe(got: unknown, expected: unknown, args: EncArgs): Finding | undefined {
  const g = got as { output?: unknown; weights?: unknown } | null;
  const e = expected as { output: tf.Tensor; weights: tf.Tensor[] };
  if (g === null || typeof g !== "object" || !Array.isArray(g.weights) || g.weights.length !== e.weights.length) return undefined;
  const same = (a: unknown, b: tf.Tensor) => a instanceof tf.Tensor && !a.isDisposed && a.shape.join() === b.shape.join() && arr(a).data.every((x, i) => Math.abs(x - arr(b).data[i]) < 1e-4);
  const firstBad = e.weights.findIndex((w, i) => !same(g.weights ? (g.weights as unknown[])[i] : undefined, w));
  if (firstBad === -1) {
    return { problem: "every layer's attention weights match the reference, so the layers get the right inputs; the output differs after the last layer (the final layer norm, params.finalNorm)" };
  }
  if (firstBad === 0) {
    const masked = args.mask !== undefined ? " (the embeddings, the position rows added, or the padding mask passed to the layers)" : " (the token embeddings or the position rows added to them)";
    return { problem: `the first layer's attention weights already differ from the reference, so what goes into the first layer differs${masked}` };
  }
  return { problem: `the attention weights of layer 0 match but layer ${firstBad}'s do not: the output of one layer must be the input of the next` };
}

const encValues = (name: string, points: number, inputs: () => EncArgs) => valueCheck({ exercise: "4.4", name, points, inputs, call: encCall, probe: encProbe });

export const ENCODER_FORWARD_CHECKS: readonly Check<M>[] = [
  encValues("values, no mask: ids [2,6], d 8, 2 heads, 2 layers", 4, enc({ b: 2, t: 6, d: 8, h: 2, seed: 4401 })),
  encValues("values, padding mask [2,1,6] (lengths 6,3): ids [2,6], d 8, 2 heads, 2 layers", 4, enc({ b: 2, t: 6, d: 8, h: 2, seed: 4411, lengths: [6, 3] })),
  encValues("values, padding mask [3,1,5], T shorter than the context: d 12, 3 heads, 3 layers", 3, enc({ b: 3, t: 5, context: 9, d: 12, h: 3, layers: 3, seed: 4421, lengths: [5, 2, 4] })),
  valueCheck({
    exercise: "4.4",
    name: "output [B,T,d] and one weights [B,h,T,T] per layer, float32",
    points: 1,
    inputs: enc({ b: 2, t: 4, d: 8, h: 4, layers: 3, seed: 4431 }),
    call: encCall,
    judge: (got, expected) => {
      const e = expected as { output: tf.Tensor; weights: tf.Tensor[] };
      const g = got as { output?: unknown; weights?: unknown } | null;
      if (g === null || typeof g !== "object") throw new CheckFailure("encoderForward must return an object { output, weights }");
      expectShapeAndDtype("output", g.output, e.output);
      if (!Array.isArray(g.weights) || g.weights.length !== e.weights.length) {
        throw new CheckFailure("weights must be an array with one [B,h,T,T] tensor per layer", `expected ${e.weights.length} tensors, got ${describeValue(g.weights)}`);
      }
      e.weights.forEach((w, i) => expectShapeAndDtype(`weights[${i}]`, (g.weights as unknown[])[i], w));
    },
  }),
  ...contractChecks<M, EncArgs>({
    exercise: "4.4",
    call: encCall,
    forms: [
      { label: "no mask", inputs: enc({ b: 2, t: 5, d: 8, h: 2, seed: 4441 }) },
      { label: "padding mask [B,1,T]", inputs: enc({ b: 2, t: 5, d: 8, h: 2, seed: 4442, lengths: [5, 2] }) },
      { label: "mask [T,T]", inputs: enc({ b: 2, t: 4, d: 8, h: 2, seed: 4443, mask: causal }) },
    ],
    points: { leaks: 2, fresh: 1, intact: 2 },
  }),
  badInputCheck<M>({
    exercise: "4.4",
    name: "ids longer than the context raise an error naming encoderForward and the context",
    points: 1,
    cases: [{ describe: "ids [1,7], positionEmbedding [5,8]", call: (m) => m.encoderForward(encoderParams({ v: 20, context: 5, d: 8, h: 2, dff: 16, layers: 1, seed: 4451 }), tf.tensor2d([[2, 6, 7, 8, 9, 10, 3]], [1, 7], "int32")), mention: [/\b7\b/, /\b5\b/], mentionText: "the 7 positions and the context 5" }],
  }),
  badInputCheck<M>({
    exercise: "4.4",
    name: "an id outside the vocabulary raises an error naming encoderForward and the id",
    points: 1,
    cases: [{ describe: "ids [1,3] holding 25, tokenEmbedding [20,8]", call: (m) => m.encoderForward(encoderParams({ v: 20, context: 5, d: 8, h: 2, dff: 16, layers: 1, seed: 4461 }), tf.tensor2d([[2, 25, 3]], [1, 3], "int32")), mention: [/\b25\b/], mentionText: "the id 25" }],
  }),
  badInputCheck<M>({
    exercise: "4.4",
    name: "a padding mask that does not broadcast raises an error naming the mask's shape",
    points: 1,
    cases: [{ describe: "ids [2,4], mask [3,1,4]", call: (m) => m.encoderForward(encoderParams({ v: 20, context: 5, d: 8, h: 2, dff: 16, layers: 1, seed: 4471 }), tf.tensor2d([[2, 6, 7, 3], [2, 8, 3, 0]], [2, 4], "int32"), padding([4, 3, 2], 4)), mention: ["3,1,4"], mentionText: "the mask's shape [3,1,4]" }],
  }),
];
