/**
 * Graded checks for lib/attention.ts: exercises 1.1 softmax (20), 1.2 scaledDotProductAttention
 * (40), 1.3 causalMask (10) and 1.4 paddingMask (10).
 *
 * Masks fed to 1.2 are built here from explicit arrays, never with the student's causalMask or
 * paddingMask, so a mistake in 1.3/1.4 costs points only there. Every mask form the docs allow
 * (none, [T,T], [B,1,Tk], [B,Tq,Tk], per head) is a form of 1.2's contract checks.
 */
import * as tf from "@tensorflow/tfjs";
import { CheckFailure, expectResultClose, fmtIndex, fmtNum, requireLiveTensor } from "../../../grader/compare";
import type { Finding } from "../../../grader/diagnose";
import { attentionFinding, broadcastMask, fmtIndices } from "../../../grader/probes";
import type { AttentionModule, Check } from "../../../grader/types";
import { badInputCheck, contractChecks, gradientCheck, randn, shapeDtypeCheck, valueCheck } from "../../../grader/builders";

// ---------------------------------------------------------------------------------------------
// 1.1 softmax

type SoftmaxArgs = { x: tf.Tensor; axis?: number };
const softmaxCall = (m: AttentionModule, a: SoftmaxArgs): unknown => (a.axis === undefined ? m.softmax(a.x) : m.softmax(a.x, a.axis));
const sx = (shape: number[], seed: number, axis?: number) => (): SoftmaxArgs => ({ x: randn(shape, seed, 2), axis });

// Every row's maximum is within a few units of the tensor's maximum, so subtracting the global
// maximum (a correct alternative) stays finite; the naive exp(x) overflows (+1e4) or underflows
// to 0/0 (-1e4).
const LARGE_POSITIVE = [
  [1e4, 1e4 - 1, -1e4, 1e4 - 3, 0],
  [9999.5, -1e4, 1e4, 5000, 1e4 - 2],
  [1e4, 1e4, 1e4, 1e4, 1e4],
];
const LARGE_NEGATIVE = [
  [-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 0.5, -1e4 + 3],
  [-1e4 + 2, -1e4, -1e4 + 2.5, -1e4 + 1, -1e4],
];

/** Each slice along `axis` is a probability distribution: entries in [0, 1], summing to 1. */
function expectDistribution(got: unknown, axis: number): void {
  const g = requireLiveTensor("output", got);
  const sums = tf.tidy(() => tf.sum(g, axis));
  const s = sums.dataSync();
  const v = g.dataSync();
  sums.dispose();
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 1 + 1e-6)) throw new CheckFailure(`output: entry ${fmtIndex(i, g.shape)} is ${fmtNum(v[i])}, outside [0, 1]`);
  }
  for (let i = 0; i < s.length; i++) {
    if (!(Math.abs(s[i] - 1) <= 1e-4)) {
      throw new CheckFailure(`output: the values along axis ${axis} sum to ${fmtNum(s[i])} (slice ${i}), expected 1`);
    }
  }
}

/** The axes along which every slice of `t` sums to 1. */
function axesSummingToOne(t: tf.Tensor): number[] {
  const out: number[] = [];
  for (let a = 0; a < t.rank; a++) {
    const s = tf.tidy(() => tf.sum(t, a));
    const v = s.dataSync();
    s.dispose();
    if (Array.from(v).every((x) => Math.abs(x - 1) <= 1e-4)) out.push(a);
  }
  return out;
}

/** Softmax: along which axis the student's output sums to 1, compared with the one asked for. */
function softmaxProbe(got: unknown, expected: unknown, args: SoftmaxArgs): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || args.x === undefined || got.rank !== args.x.rank) return undefined;
  const want = ((args.axis ?? -1) + got.rank) % got.rank;
  if (expected instanceof tf.Tensor) {
    const exp = tf.tidy(() => tf.exp(got));
    const logOf = Array.from(exp.dataSync()).every((v, i) => Math.abs(v - (expected.dataSync()[i] as number)) <= 1e-4);
    exp.dispose();
    if (logOf) return { problem: "your output is the logarithm of the softmax (log-probabilities): the softmax is e / sum(e) with e = exp(x − max), not x − max − log(sum(e))" };
  }
  const axes = axesSummingToOne(got);
  if (axes.includes(want)) return undefined;
  if (axes.length > 0) {
    return { problem: `your output sums to 1 along ${axes.length === 1 ? "axis" : "axes"} ${fmtIndices(axes)} instead of the axis asked for`, detail: `axis ${args.axis ?? -1} of x [${args.x.shape.join(",")}]` };
  }
  return { problem: "your output does not sum to 1 along any axis, so it is not a softmax" };
}

export const SOFTMAX_CHECKS: readonly Check<AttentionModule>[] = [
  valueCheck({ exercise: "1.1", name: "values, [4,7], default axis", points: 3, inputs: sx([4, 7], 201), call: softmaxCall, probe: softmaxProbe }),
  valueCheck({ exercise: "1.1", name: "values, [2,3,5], axis -1", points: 2, inputs: sx([2, 3, 5], 211, -1), call: softmaxCall, probe: softmaxProbe }),
  valueCheck({ exercise: "1.1", name: "values, [2,5,3], axis 1 (a middle axis)", points: 2, inputs: sx([2, 5, 3], 221, 1), call: softmaxCall, probe: softmaxProbe }),
  valueCheck({ exercise: "1.1", name: "values, [6,4], axis 0", points: 2, inputs: sx([6, 4], 231, 0), call: softmaxCall, probe: softmaxProbe }),
  valueCheck({
    exercise: "1.1",
    name: "finite and correct at logits of ±1e4",
    points: 3,
    inputs: () => ({ pos: tf.tensor2d(LARGE_POSITIVE), neg: tf.tensor2d(LARGE_NEGATIVE) }),
    call: (m, a) => [m.softmax(a.pos), m.softmax(a.neg)],
  }),
  valueCheck({
    exercise: "1.1",
    name: "invariant to adding a constant (x + 1000, x - 1000)",
    points: 2,
    inputs: () => ({ x: randn([3, 6], 241, 2) }),
    call: (m, a) => [m.softmax(tf.add(a.x, 1000)), m.softmax(tf.sub(a.x, 1000))],
  }),
  valueCheck({
    exercise: "1.1",
    name: "slices along axis 1 of [3,4,5] are distributions (in [0,1], sum to 1)",
    points: 1,
    inputs: sx([3, 4, 5], 251, 1),
    call: softmaxCall,
    judge: (got) => expectDistribution(got, 1),
  }),
  shapeDtypeCheck({ exercise: "1.1", name: "output shape = input shape, dtype float32", points: 1, inputs: sx([2, 3, 5], 261, 1), call: softmaxCall }),
  ...contractChecks<AttentionModule, SoftmaxArgs>({
    exercise: "1.1",
    call: softmaxCall,
    forms: [
      { label: "x [4,7], default axis", inputs: sx([4, 7], 271) },
      { label: "x [2,5,3], axis 1", inputs: sx([2, 5, 3], 272, 1) },
      { label: "x [6,4], axis 0", inputs: sx([6, 4], 273, 0) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<AttentionModule>({
    exercise: "1.1",
    name: "bad input raises an error naming softmax",
    points: 1,
    cases: [
      { describe: "x = a plain array", call: (m) => m.softmax([1, 2, 3] as unknown as tf.Tensor), mention: [/tensor/i], mentionText: "the fact that x must be a tf.Tensor" },
      { describe: "x [3,4], axis 2", call: (m) => m.softmax(randn([3, 4], 291), 2), mention: [/axis/i], mentionText: "the bad axis" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 1.2 scaledDotProductAttention

type AttnArgs = { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; mask?: tf.Tensor };
const attnCall = (m: AttentionModule, a: AttnArgs): unknown =>
  a.mask === undefined ? m.scaledDotProductAttention(a.q, a.k, a.v) : m.scaledDotProductAttention(a.q, a.k, a.v, a.mask);

function qkv(qShape: number[], kShape: number[], vShape: number[], seed: number, mask?: () => tf.Tensor): () => AttnArgs {
  return () => ({ q: randn(qShape, seed), k: randn(kShape, seed + 1), v: randn(vShape, seed + 2), mask: mask?.() });
}

const causal5 = () => tf.tensor2d([
  [1, 0, 0, 0, 0],
  [1, 1, 0, 0, 0],
  [1, 1, 1, 0, 0],
  [1, 1, 1, 1, 0],
  [1, 1, 1, 1, 1],
]);
/** Padding mask [3,1,6] for lengths 6, 4, 2. */
const padding362 = () => tf.tensor3d([[[1, 1, 1, 1, 1, 1]], [[1, 1, 1, 1, 0, 0]], [[1, 1, 0, 0, 0, 0]]]);
/** An arbitrary [4,6] pattern (every row keeps at least one key), broadcast over batch dims [2,3]. */
const random46 = () => tf.tensor2d([
  [1, 0, 1, 1, 0, 1],
  [0, 1, 1, 0, 1, 1],
  [1, 1, 0, 0, 0, 1],
  [1, 0, 0, 1, 1, 0],
]);
/** [2,4,5]: query 1 of batch 0 and query 3 of batch 1 may attend to nothing. */
const FULLY_MASKED = [
  [[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 0, 1, 1, 1], [0, 1, 1, 0, 1]],
  [[1, 1, 1, 1, 1], [0, 0, 1, 0, 0], [1, 0, 0, 1, 1], [0, 0, 0, 0, 0]],
];
const FULLY_MASKED_ROWS: readonly [number, number][] = [[0, 1], [1, 3]];

function part(got: unknown, key: "output" | "weights"): tf.Tensor {
  const obj = got !== null && typeof got === "object" && !(got instanceof tf.Tensor) ? (got as Record<string, unknown>) : {};
  return requireLiveTensor(key, obj[key]);
}

/** The documented behaviour: a query that may attend to nothing gets exactly-zero weights and output. */
function expectZeroRows(got: unknown): void {
  for (const key of ["weights", "output"] as const) {
    const t = part(got, key);
    const rows = t.arraySync() as number[][][];
    for (const [b, i] of FULLY_MASKED_ROWS) {
      const row = rows[b][i];
      const j = row.findIndex((x) => x !== 0);
      if (j >= 0) {
        throw new CheckFailure(
          `a query whose every key is masked must get weights and an output of exactly 0 (it has nothing to attend to); yours are not 0`,
          `${key}[${b},${i},${j}] is ${fmtNum(row[j])}, and query ${i} of batch ${b} is fully masked`,
        );
      }
    }
  }
}

/** Rows of the weights sum to 1 and blocked positions get exactly 0 (not merely a small number). */
function expectMaskedDistribution(got: unknown, args: AttnArgs): void {
  const w = part(got, "weights");
  const mask = tf.tidy(() => tf.broadcastTo(args.mask as tf.Tensor, w.shape));
  const m = mask.dataSync();
  mask.dispose();
  const v = w.dataSync();
  const tk = w.shape[w.rank - 1];
  for (let i = 0; i < v.length; i++) {
    if (m[i] === 0 && v[i] !== 0) {
      throw new CheckFailure("weights at masked positions must be exactly 0, not merely small", `weights${fmtIndex(i, w.shape)} is ${fmtNum(v[i])} at a masked position`);
    }
  }
  for (let r = 0; r < v.length / tk; r++) {
    let s = 0;
    for (let j = 0; j < tk; j++) s += v[r * tk + j];
    if (!(Math.abs(s - 1) <= 1e-4)) {
      throw new CheckFailure("each row of the weights must sum to 1 (a softmax over the keys, the last axis)", `weights row ${fmtIndex(r * tk, w.shape)} sums to ${fmtNum(s)}`);
    }
  }
}

function attnBad(name: string, describe: string, mention: string[], mentionText: string, make: () => unknown[]): Check<AttentionModule> {
  return badInputCheck<AttentionModule>({
    exercise: "1.2",
    name,
    points: 1,
    cases: [
      {
        describe,
        call: (m) => (m.scaledDotProductAttention as (...a: unknown[]) => unknown)(...make()),
        mention: mention.map((s) => (s === "tensor" ? /tensor/i : s)),
        mentionText,
      },
    ],
  });
}

/** What the weights show (attentionFinding), with 1.2's mask and scale. */
function attnProbe(got: unknown, expected: unknown, args: AttnArgs): Finding | undefined {
  return attentionFinding(got, expected, args, {
    after: "output = weights·v ([..., Tq, Tk]·[..., Tk, dv])",
    scale: (a: AttnArgs) => `1/√d_k = 1/√${a.q.shape[a.q.rank - 1]}`,
    mask: (a: AttnArgs, shape: number[]) => broadcastMask(a.mask, shape),
  });
}

const attnValues = (name: string, points: number, inputs: () => AttnArgs) => valueCheck({ exercise: "1.2", name, points, inputs, call: attnCall, probe: attnProbe });

/** [B, h, Tq, Tk] = [2, 2, 3, 4]: a different pattern per head; every query keeps key 0. */
const perHead2234 = () =>
  tf.tensor4d(
    Array.from({ length: 2 * 2 * 3 * 4 }, (_, i) => (i % 4 === 0 || (i * 7) % 3 !== 0 ? 1 : 0)),
    [2, 2, 3, 4],
  );

export const ATTENTION_CHECKS: readonly Check<AttentionModule>[] = [
  attnValues("values, no mask, no batch dims: q [5,8], k [6,8], v [6,3]", 4, qkv([5, 8], [6, 8], [6, 3], 301)),
  attnValues("values, no mask, one batch dim: q [2,5,8], k [2,6,8], v [2,6,4]", 4, qkv([2, 5, 8], [2, 6, 8], [2, 6, 4], 311)),
  attnValues("values, no mask, two batch dims: q [2,2,3,16], k [2,2,4,16], v [2,2,4,5]", 2, qkv([2, 2, 3, 16], [2, 2, 4, 16], [2, 2, 4, 5], 321)),
  // Tk = dk = dv: a transposed v or swapped k/v still has valid shapes here, so only the values tell.
  attnValues("values, no mask, Tk = dk = dv: q [2,4,6], k [2,6,6], v [2,6,6]", 2, qkv([2, 4, 6], [2, 6, 6], [2, 6, 6], 331)),
  attnValues("values, causal mask [5,5] broadcast over batch: q, k, v [2,5,8]", 4, qkv([2, 5, 8], [2, 5, 8], [2, 5, 8], 341, causal5)),
  attnValues("values, padding mask [3,1,6] (lengths 6,4,2): q [3,5,8], k [3,6,8], v [3,6,4]", 4, qkv([3, 5, 8], [3, 6, 8], [3, 6, 4], 351, padding362)),
  attnValues("values, mask [4,6] broadcast over batch dims [2,3]: q [2,3,4,8], k [2,3,6,8], v [2,3,6,5]", 3, qkv([2, 3, 4, 8], [2, 3, 6, 8], [2, 3, 6, 5], 361, random46)),
  valueCheck({
    exercise: "1.2",
    name: "fully masked query row: all-zero weights and zero output",
    points: 3,
    inputs: qkv([2, 4, 8], [2, 5, 8], [2, 5, 3], 371, () => tf.tensor3d(FULLY_MASKED)),
    call: attnCall,
    judge: (got, expected) => {
      expectZeroRows(got);
      expectResultClose("output", got, expected);
    },
    probe: attnProbe,
  }),
  valueCheck({
    exercise: "1.2",
    name: "weights: rows sum to 1 and masked weights are exactly 0",
    points: 3,
    inputs: qkv([3, 5, 8], [3, 6, 8], [3, 6, 4], 381, padding362),
    call: attnCall,
    judge: (got, _expected, args) => expectMaskedDistribution(got, args),
    probe: attnProbe,
  }),
  // Notebook 02 trains a model through the student's attention (their multiHeadAttention calls it).
  gradientCheck<AttentionModule, AttnArgs>({
    exercise: "1.2",
    name: "trainable: gradients of the output w.r.t. q, k, v with a padding mask (tf.grads through your function)",
    points: 1,
    inputs: qkv([3, 5, 8], [3, 6, 8], [3, 6, 4], 395, padding362),
    wrt: (a) => ({ names: ["q", "k", "v"], tensors: [a.q, a.k, a.v] }),
    replace: (a, [q, k, v]) => ({ ...a, q, k, v }),
    call: attnCall,
    output: (r) => (r as { output: tf.Tensor }).output,
    seed: 396,
  }),
  shapeDtypeCheck({ exercise: "1.2", name: "output [..., Tq, dv] and weights [..., Tq, Tk], dtype float32", points: 2, inputs: qkv([3, 5, 8], [3, 6, 8], [3, 6, 4], 391, padding362), call: attnCall }),
  ...contractChecks<AttentionModule, AttnArgs>({
    exercise: "1.2",
    call: attnCall,
    forms: [
      { label: "no mask", inputs: qkv([2, 5, 8], [2, 6, 8], [2, 6, 4], 401) },
      { label: "mask [T,T]", inputs: qkv([2, 5, 8], [2, 5, 8], [2, 5, 8], 402, causal5) },
      { label: "padding mask [B,1,Tk]", inputs: qkv([3, 5, 8], [3, 6, 8], [3, 6, 4], 403, padding362) },
      { label: "mask [B,Tq,Tk]", inputs: qkv([2, 4, 8], [2, 5, 8], [2, 5, 3], 404, () => tf.tensor3d(FULLY_MASKED)) },
      { label: "per-head mask [B,h,Tq,Tk]", inputs: qkv([2, 2, 3, 8], [2, 2, 4, 8], [2, 2, 4, 5], 405, perHead2234) },
    ],
    points: { leaks: 2, fresh: 1, intact: 1 },
  }),
  attnBad("error for q [2,5,8] with k [2,6,4] (different d_k)", "q [2,5,8], k [2,6,4], v [2,6,3]", ["2,5,8", "2,6,4"], "the shapes [2,5,8] and [2,6,4]", () => [
    randn([2, 5, 8], 421), randn([2, 6, 4], 422), randn([2, 6, 3], 423),
  ]),
  attnBad("error for v with a different Tk", "q [2,5,8], k [2,6,8], v [2,7,3]", ["2,7,3"], "v's shape [2,7,3]", () => [
    randn([2, 5, 8], 431), randn([2, 6, 8], 432), randn([2, 7, 3], 433),
  ]),
  attnBad("error for a mask that does not broadcast", "q [2,5,8], k [2,6,8], v [2,6,3], mask [3,6]", ["3,6"], "the mask's shape [3,6]", () => [
    randn([2, 5, 8], 441), randn([2, 6, 8], 442), randn([2, 6, 3], 443), tf.ones([3, 6]),
  ]),
  attnBad("error for a non-tensor argument", "q = a plain array", ["tensor"], "the fact that q must be a tf.Tensor", () => [
    [[1, 2], [3, 4]], randn([2, 2], 451), randn([2, 2], 452),
  ]),
];

// ---------------------------------------------------------------------------------------------
// 1.3 causalMask

type N = { n: number };
const causalCall = (m: AttentionModule, a: N): unknown => m.causalMask(a.n);
const n = (value: number) => (): N => ({ n: value });

export const CAUSAL_MASK_CHECKS: readonly Check<AttentionModule>[] = [
  valueCheck({ exercise: "1.3", name: "values, n = 1", points: 1, inputs: n(1), call: causalCall }),
  valueCheck({ exercise: "1.3", name: "values, n = 4", points: 2, inputs: n(4), call: causalCall }),
  valueCheck({ exercise: "1.3", name: "values, n = 7", points: 2, inputs: n(7), call: causalCall }),
  valueCheck({ exercise: "1.3", name: "values, n = 64", points: 1, inputs: n(64), call: causalCall }),
  shapeDtypeCheck({ exercise: "1.3", name: "shape [n,n] and dtype float32", points: 1, inputs: n(5), call: causalCall }),
  ...contractChecks<AttentionModule, N>({
    exercise: "1.3",
    call: causalCall,
    forms: [
      { label: "n = 6", inputs: n(6) },
      { label: "n = 1", inputs: n(1) },
    ],
    points: { leaks: 1, fresh: 1 },
  }),
  badInputCheck<AttentionModule>({
    exercise: "1.3",
    name: "bad n raises an error naming causalMask",
    points: 1,
    cases: [
      { describe: "n = 0", call: (m) => m.causalMask(0), mention: ["0"], mentionText: "the bad value 0" },
      { describe: "n = 2.5", call: (m) => m.causalMask(2.5), mention: ["2.5"], mentionText: "the bad value 2.5" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 1.4 paddingMask

type Pad = { lengths: number[]; maxLen: number };
const padCall = (m: AttentionModule, a: Pad): unknown => m.paddingMask(a.lengths, a.maxLen);
const pad = (lengths: number[], maxLen: number) => (): Pad => ({ lengths: [...lengths], maxLen });

export const PADDING_MASK_CHECKS: readonly Check<AttentionModule>[] = [
  valueCheck({ exercise: "1.4", name: "values, lengths [3,5,0,1], maxLen 5", points: 3, inputs: pad([3, 5, 0, 1], 5), call: padCall }),
  valueCheck({ exercise: "1.4", name: "values, lengths [4,4], maxLen 4 (no padding)", points: 1, inputs: pad([4, 4], 4), call: padCall }),
  valueCheck({ exercise: "1.4", name: "values, lengths [2], maxLen 6", points: 1, inputs: pad([2], 6), call: padCall }),
  shapeDtypeCheck({ exercise: "1.4", name: "shape [B,1,maxLen] and dtype float32", points: 1, inputs: pad([2, 3], 4), call: padCall }),
  ...contractChecks<AttentionModule, Pad>({
    exercise: "1.4",
    call: padCall,
    forms: [
      { label: "lengths [1,2], maxLen 3", inputs: pad([1, 2], 3) },
      { label: "lengths [3,1,2], maxLen 4 (unsorted)", inputs: pad([3, 1, 2], 4) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<AttentionModule>({
    exercise: "1.4",
    name: "bad lengths raise an error naming paddingMask",
    points: 1,
    cases: [
      { describe: "lengths [3,7], maxLen 5", call: (m) => m.paddingMask([3, 7], 5), mention: ["7"], mentionText: "the bad length 7" },
      { describe: "lengths [2,-1], maxLen 3", call: (m) => m.paddingMask([2, -1], 3), mention: ["-1"], mentionText: "the bad length -1" },
    ],
  }),
];
