/**
 * Graded checks for lib/gpt.ts: exercises 5.1 nextTokenLoss (15), 5.2 sampleNext (20),
 * 5.3 decodeStepWithCache (30) and 5.4 gptForward (15).
 *
 * Models are tiny GPTs with injected, seeded weights (embeddings of standard deviation 1, so
 * tokens and positions matter; biases and layer norms away from 0 and 1). The student's 5.3 and
 * 5.4 run on their own building blocks; when one of those is the cause, cause finding
 * (grader/cause.ts) says so and credits the exercise.
 *
 * Two things are special here:
 * - 5.2 draws random tokens. The exact checks use the documented seeded inverse-CDF rule on
 *   cases whose random numbers lie at least 1e-4 away from every cumulative-probability
 *   boundary (tests/unit/grader-gpt.test.ts measures it), so a correct implementation that
 *   computes the softmax another way (float64, p^(1/T)) draws the same tokens. Statistical
 *   checks compare 4000 draws with the intended distribution, so a sampler that is right but
 *   does not follow the seed rule still earns those points.
 * - The support code has a fast path (gptForwardFast, decodeStepFast) that computes what 5.3 and
 *   5.4 compute. Every call into the student's 5.3 and 5.4 counts the fast path's ops
 *   (fastPathCalls): a submission that hands the work to it fails that check, with feedback
 *   that says so.
 */
import * as tf from "@tensorflow/tfjs";
import { fastPathCalls } from "../../../lib/support/fast/ops";
import { seededRandom } from "../../../lib/support/random";
import type { GptConfig, GptParams, KVCache, SampleOptions } from "../../../lib/support/types";
import { decodeStepWithCache as refStep, gptForward as refForward } from "../../../solutions/gpt";
import { allClose, CheckFailure, describeValue, expectTensorClose, fmtNum, fmtShape, requireLiveTensor, type Tolerance } from "../../../grader/compare";
import type { Finding } from "../../../grader/diagnose";
import { arr, fmtIndices } from "../../../grader/probes";
import type { Check, GptModule } from "../../../grader/types";
import { badInputCheck, contractChecks, gradientCheck, randn, shapeDtypeCheck, valueCheck } from "../../../grader/builders";
import { encoderParams, lnParams } from "./blocks";

type M = GptModule;

/** The checks' GPT: V = 11, context 8, d = 8, 2 heads, dff 16, 2 layers. */
export const CHECK_GPT: GptConfig = { vocabSize: 11, context: 8, d: 8, numHeads: 2, dff: 16, numLayers: 2 };

/** Seeded weights for a GPT of `c` (plain tensors, not variables). */
export function gptParams(c: GptConfig, seed: number): GptParams {
  return {
    config: { ...c },
    tokenEmbedding: randn([c.vocabSize, c.d], seed),
    positionEmbedding: randn([c.context, c.d], seed + 1),
    layers: Array.from({ length: c.numLayers }, (_, i) => encoderParams(c.d, c.numHeads, c.dff, seed + 100 * (i + 1))),
    finalNorm: lnParams(c.d, seed + 2),
    head: { w: randn([c.d, c.vocabSize], seed + 4, 1 / Math.sqrt(c.d)), b: randn([c.vocabSize], seed + 5, 0.5) },
  };
}

/** Token ids [rows][length] in [0, V), from a fixed stream (no tfjs randomness). */
function tokenRows(rows: number, length: number, vocab: number, seed: number): number[][] {
  const r = seededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length }, () => Math.floor(r() * vocab)));
}

/**
 * Runs `f` (a call into the student's 5.3 or 5.4) and fails the check when it ran the support
 * code's fast path: those exercises are the computation itself.
 */
function ownCode<T>(fn: string, f: () => T): T {
  const before = fastPathCalls();
  const out = f();
  if (fastPathCalls() !== before) {
    throw new CheckFailure(
      `your ${fn} runs the support code's fast path (gptForwardFast, decodeStepFast or lib/support/fast) instead of computing the result itself: that computation is the exercise; build it from your own functions (encoderLayer, layerNorm, scaledDotProductAttention, …)`,
      `${fastPathCalls() - before} fast-path op(s) in one call`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5.1 nextTokenLoss

type LossArgs = { logits: tf.Tensor; ids: tf.Tensor; padId: number };
const lossCall = (m: M, a: LossArgs): unknown => m.nextTokenLoss(a.logits, a.ids, a.padId);

function lossArgs(rows: number[][], vocab: number, padId: number, seed: number, o: { zeros?: boolean } = {}): () => LossArgs {
  return () => {
    const shape = [rows.length, rows[0].length, vocab];
    return { logits: o.zeros ? tf.zeros(shape) : randn(shape, seed, 2), ids: tf.tensor2d(rows, undefined, "int32"), padId };
  };
}

/** A scalar loss that differs: say so with both numbers (a ratio of two scalars says nothing). */
function lossProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || got.size !== 1 || !(expected instanceof tf.Tensor)) return undefined;
  return {
    problem: "your loss differs from the reference's: the mean, over the real (non-padding) next tokens, of −log softmax(logits[b, t])[ids[b, t + 1]]",
    detail: `expected ${fmtNum(expected.dataSync()[0])}, got ${fmtNum(got.dataSync()[0])}`,
  };
}

const PADDED_ROWS = [
  [5, 1, 2, 3, 4, 6],
  [5, 2, 6, 0, 0, 0],
  [5, 3, 3, 6, 0, 0],
];
/** padId 4: padding at the ends of rows, and 0 a real token. */
const PAD4_ROWS = [
  [5, 0, 1, 6, 4, 4],
  [5, 2, 0, 3, 1, 6],
  [5, 6, 4, 4, 4, 4],
];

const lossValues = (name: string, points: number, inputs: () => LossArgs) => valueCheck({ exercise: "5.1", name, points, inputs, call: lossCall, probe: lossProbe });

export const NEXT_TOKEN_LOSS_CHECKS: readonly Check<M>[] = [
  lossValues("values, logits [3,6,7], rows padded with padId 0 (2 of them)", 3, lossArgs(PADDED_ROWS, 7, 0, 3001)),
  lossValues("values, padId 4 (and 0 a real token), logits [3,6,7]", 2, lossArgs(PAD4_ROWS, 7, 4, 3011)),
  lossValues("values, no padding, logits [2,5,9]", 1, lossArgs(tokenRows(2, 5, 8, 3021).map((r) => r.map((x) => x + 1)), 9, 0, 3022)),
  lossValues("values, T = 2 (one target per row, one of them padding), logits [4,2,6]", 1, lossArgs([[5, 3], [5, 0], [1, 2], [4, 4]], 6, 0, 3031)),
  valueCheck({
    exercise: "5.1",
    name: "logits all 0 (every token equally likely) give ln V, whatever the padding",
    points: 1,
    inputs: lossArgs(PADDED_ROWS, 7, 0, 3041, { zeros: true }),
    call: lossCall,
    judge: (got) => {
      const g = requireLiveTensor("output", got);
      const v = g.dataSync()[0];
      if (!(Math.abs(v - Math.log(7)) <= 1e-5)) {
        throw new CheckFailure("with every logit 0 each of the V tokens has probability 1/V, so the loss must be ln V; yours is not", `V = 7: expected ln 7 = ${fmtNum(Math.log(7))}, got ${fmtNum(v)}`);
      }
    },
    probe: lossProbe,
  }),
  gradientCheck<M, LossArgs>({
    exercise: "5.1",
    name: "gradient with respect to the logits (the notebook trains with your loss)",
    points: 2,
    inputs: lossArgs(PADDED_ROWS, 7, 0, 3051),
    wrt: (a) => ({ names: ["logits"], tensors: [a.logits] }),
    replace: (a, [logits]) => ({ ...a, logits }),
    call: lossCall,
    output: (r) => r,
    seed: 3052,
  }),
  shapeDtypeCheck({ exercise: "5.1", name: "a scalar (shape []), dtype float32", points: 1, inputs: lossArgs(PADDED_ROWS, 7, 0, 3061), call: lossCall }),
  ...contractChecks<M, LossArgs>({
    exercise: "5.1",
    call: lossCall,
    forms: [
      { label: "padded rows (padId 0)", inputs: lossArgs(PADDED_ROWS, 7, 0, 3071) },
      { label: "no padding (padId 9)", inputs: lossArgs([[1, 2, 3], [4, 5, 6]], 10, 9, 3072) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "5.1",
    name: "ids of another [B, T] than the logits raise an error naming nextTokenLoss and both shapes",
    points: 1,
    cases: [{ describe: "logits [3,6,7], ids [3,5]", call: (m) => m.nextTokenLoss(randn([3, 6, 7], 3081), tf.zeros([3, 5], "int32"), 0), mention: ["3,6,7", "3,5"], mentionText: "the shapes [3,6,7] and [3,5]" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 5.2 sampleNext

type SampleArgs = { logits: tf.Tensor; opts: SampleOptions };

/** A sampler's result as an int32 tensor [n], or a CheckFailure saying what it returned instead. */
function tokensOf(r: unknown): tf.Tensor {
  if (!Array.isArray(r) || r.some((x) => typeof x !== "number" || !Number.isInteger(x))) {
    throw new CheckFailure(`sampleNext must return an array of token ids (integers), one per row of logits; it returned ${describeValue(r)}`);
  }
  return tf.tensor1d(r as number[], "int32");
}

const sampleCall = (m: M, a: SampleArgs): unknown => tokensOf(m.sampleNext(a.logits, a.opts));

/**
 * The value checks call the sampler twice: a sampler that ignores the seed gives other tokens
 * the second time, which is the clearest evidence there is.
 */
function seededSampleCall(m: M, a: SampleArgs): unknown {
  const first = m.sampleNext(a.logits, a.opts);
  const second = m.sampleNext(a.logits, a.opts);
  if (Array.isArray(first) && Array.isArray(second) && (first.length !== second.length || first.some((x, i) => x !== second[i]))) {
    const rows = first.map((_, i) => i).filter((i) => first[i] !== second[i]);
    throw new CheckFailure(
      "your sampleNext gives other tokens on a second call with the same logits and seed: it ignores the seed (use u = the (b+1)-th number of seededRandom(seed) for row b, not Math.random or an unseeded tf.multinomial)",
      `row(s) ${fmtIndices(rows)}: ${rows.slice(0, 3).map((i) => `${first[i]} then ${second[i]}`).join(", ")}`,
    );
  }
  return tokensOf(first);
}

/** What the documentation asks for, in float64: each row's probabilities after temperature and top-k. */
export function intendedProbabilities(logits: number[][], opts: SampleOptions): number[][] {
  const { temperature = 1, topK } = opts;
  return logits.map((row) => {
    const v = row.length;
    const k = topK ?? v;
    if (temperature === 0) {
      let best = 0;
      for (let i = 1; i < v; i++) if (row[i] > row[best]) best = i;
      return row.map((_, i) => (i === best ? 1 : 0));
    }
    const order = row.map((x, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    const kept = new Set(order.slice(0, k));
    const scaled = row.map((x, i) => (kept.has(i) ? x / temperature : -Infinity));
    const max = Math.max(...scaled);
    const e = scaled.map((x) => (x === -Infinity ? 0 : Math.exp(x - max)));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });
}

/** The smallest distance between a row's random number u and any of its cumulative-probability boundaries. */
export function boundaryMargin(logits: number[][], opts: SampleOptions): number {
  if (opts.temperature === 0) return Infinity;
  const p = intendedProbabilities(logits, opts);
  const random = seededRandom(opts.seed as number);
  let margin = Infinity;
  for (const row of p) {
    const u = random();
    let c = 0;
    const last = row.reduce((l, x, i) => (x > 0 ? i : l), -1);
    for (let i = 0; i < last; i++) {
      c += row[i];
      if (row[i] > 0) margin = Math.min(margin, Math.abs(u - c));
    }
  }
  return margin;
}

function rowsOf(t: tf.Tensor): number[][] {
  const r = t.arraySync();
  return (t.rank === 1 ? [r] : r) as number[][];
}

/** Exact tokens: the same ids as the reference's, row by row. */
function sameTokens(got: unknown, expected: unknown): void {
  const g = requireLiveTensor("output", got);
  const e = expected as tf.Tensor;
  const gv = Array.from(g.dataSync());
  const ev = Array.from(e.dataSync());
  if (gv.length !== ev.length) throw new CheckFailure("sampleNext must return one token id per row of logits (one for a [V] vector)", `${gv.length} ids for ${ev.length} row(s)`);
  const rows = ev.map((_, i) => i).filter((i) => gv[i] !== ev[i]);
  if (rows.length > 0) {
    throw new CheckFailure("your tokens differ from the reference's for the same logits, options and seed", `row(s) ${fmtIndices(rows)}: expected ${rows.slice(0, 4).map((i) => ev[i]).join(", ")}, got ${rows.slice(0, 4).map((i) => gv[i]).join(", ")}`);
  }
}

/** What a wrong set of tokens shows against the intended distribution. */
function tokensProbe(got: unknown, expected: unknown, args: SampleArgs): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || got.size !== expected.size) return undefined;
  const logits = rowsOf(args.logits);
  const v = logits[0].length;
  const p = intendedProbabilities(logits, args.opts);
  const g = Array.from(got.dataSync());
  const outside = g.map((x, i) => i).filter((i) => !(g[i] >= 0 && g[i] < v));
  if (outside.length > 0) return { problem: "some of your tokens are not ids of the vocabulary [0, V)", detail: `row(s) ${fmtIndices(outside)}: ${outside.slice(0, 3).map((i) => g[i]).join(", ")} (V = ${v})` };
  const temperature = args.opts.temperature ?? 1;
  if (temperature === 0) {
    const ties = g.map((x, i) => i).filter((i) => logits[i][g[i]] === Math.max(...logits[i]) && p[i][g[i]] === 0);
    if (ties.length > 0) return { problem: "with temperature 0 your tokens are among each row's largest logits, but not the lowest id among ties", detail: `row ${ties[0]}: ${g[ties[0]]} where the arg-max rule takes ${p[ties[0]].indexOf(1)}` };
    return { problem: "with temperature 0 the token must be each row's arg-max (the lowest id among ties); yours are not" };
  }
  const excluded = g.map((x, i) => i).filter((i) => p[i][g[i]] === 0);
  if (excluded.length > 0) {
    const i = excluded[0];
    return {
      problem: "some of your tokens have probability 0 under the intended distribution (outside the top k, or a −Infinity logit)",
      detail: `row ${i}: token ${g[i]}${args.opts.topK !== undefined ? ` is not among the ${args.opts.topK} largest logits` : " has logit −Infinity"}`,
    };
  }
  {
    const argmax = logits.map((row) => row.indexOf(Math.max(...row)));
    const e = Array.from(expected.dataSync());
    if (g.every((x, i) => x === argmax[i]) && e.some((x, i) => x !== argmax[i])) {
      return { problem: `every one of your tokens is its row's most likely token although temperature = ${temperature} > 0: that is greedy decoding, not sampling` };
    }
  }
  return {
    problem:
      "each of your tokens is one the distribution allows, but not the one this seed picks: row b takes u, the (b+1)-th number of seededRandom(seed), and the first id whose cumulative probability p[0] + … + p[id] exceeds u",
  };
}

/** A seeded case of the exact checks: its logits and options (tests/unit/grader-gpt.test.ts measures its margin). */
export interface SeededCase {
  name: string;
  points: number;
  /** [B, V], or [V] when rows is 0. */
  rows: number;
  vocab: number;
  logitsSeed: number;
  opts: SampleOptions;
  /** Entries (row, id) set to −Infinity. */
  minusInfinity?: [number, number][];
}

export function seededLogits(c: SeededCase): tf.Tensor {
  return tf.tidy(() => {
    const shape = c.rows === 0 ? [c.vocab] : [c.rows, c.vocab];
    let x = randn(shape, c.logitsSeed, 1.5);
    if (c.minusInfinity) {
      const blocked = tf.buffer(shape, "float32");
      for (const [r, i] of c.minusInfinity) blocked.set(1, ...(c.rows === 0 ? [i] : [r, i]));
      x = tf.where(tf.greater(blocked.toTensor(), 0), tf.fill(shape, -Infinity), x);
    }
    return x;
  });
}

export const SEEDED_CASES: readonly SeededCase[] = [
  { name: "seeded draws at temperature 1, logits [8,10]", points: 3, rows: 8, vocab: 10, logitsSeed: 3101, opts: { temperature: 1, seed: 8 } },
  { name: "seeded draws at temperature 0.6 (sharper)", points: 2, rows: 8, vocab: 10, logitsSeed: 3111, opts: { temperature: 0.6, seed: 12 } },
  {
    name: "seeded draws at temperature 1.8 (flatter), some logits -Infinity",
    points: 2,
    rows: 8,
    vocab: 10,
    logitsSeed: 3121,
    opts: { temperature: 1.8, seed: 13 },
    minusInfinity: [[0, 0], [1, 9], [2, 4], [2, 5], [5, 3], [7, 0], [7, 1]],
  },
  { name: "seeded draws with topK = 3 (temperature 1)", points: 2, rows: 8, vocab: 10, logitsSeed: 3131, opts: { temperature: 1, topK: 3, seed: 14 } },
  { name: "one row, logits [10] (rank 1), topK 4 at temperature 0.8", points: 1, rows: 0, vocab: 10, logitsSeed: 3141, opts: { temperature: 0.8, topK: 4, seed: 15 } },
];

/** Rows with ties for the largest logit: greedy takes the lowest id. */
const TIED = [
  [1, 3, 3, 0, -2, 3],
  [2, -1, 0.5, 2, 1, 0],
  [-3, -3, -3, -3, -3, -3],
  [0, 0.25, -1, 4, 3.99, 1],
];

/** `draws` rows of one logits row [V]: empirical frequencies against the intended ones. */
function frequencyCheck(name: string, points: number, row: number[], opts: SampleOptions, draws = 4000): Check<M> {
  return valueCheck<M, SampleArgs>({
    exercise: "5.2",
    name,
    points,
    inputs: () => ({ logits: tf.tidy(() => tf.tile(tf.tensor2d([row]), [draws, 1])), opts }),
    call: sampleCall,
    judge: (got, _expected, args) => {
      const g = Array.from(requireLiveTensor("output", got).dataSync());
      if (g.length !== draws) throw new CheckFailure("sampleNext must return one token id per row of logits", `${g.length} ids for ${draws} rows`);
      const p = intendedProbabilities([row], args.opts)[0];
      const counts = p.map(() => 0);
      for (const x of g) {
        if (!(x >= 0 && x < p.length)) throw new CheckFailure("some of your tokens are not ids of the vocabulary [0, V)", `token ${x}, V = ${p.length}`);
        counts[x]++;
      }
      const excluded = counts.findIndex((c, i) => c > 0 && p[i] === 0);
      if (excluded >= 0) {
        throw new CheckFailure("you drew tokens that the distribution excludes (outside the top k)", `token ${excluded} drawn ${counts[excluded]} times out of ${draws}; topK = ${args.opts.topK}`);
      }
      for (let i = 0; i < p.length; i++) {
        const f = counts[i] / draws;
        if (Math.abs(f - p[i]) > 5 * Math.sqrt((p[i] * (1 - p[i])) / draws) + 2e-3) {
          throw new CheckFailure(
            "the frequencies of your draws do not match the intended distribution, softmax(logits / T) over the top k (renormalised)",
            `token ${i}: drawn ${(100 * f).toFixed(1)}% of ${draws} times, intended ${(100 * p[i]).toFixed(1)}% (temperature ${args.opts.temperature ?? 1}${args.opts.topK !== undefined ? `, topK ${args.opts.topK}` : ""})`,
          );
        }
      }
    },
  });
}

export const SAMPLE_NEXT_CHECKS: readonly Check<M>[] = [
  ...SEEDED_CASES.map((c) =>
    valueCheck<M, SampleArgs>({ exercise: "5.2", name: c.name, points: c.points, inputs: () => ({ logits: seededLogits(c), opts: c.opts }), call: seededSampleCall, judge: sameTokens, probe: tokensProbe }),
  ),
  valueCheck<M, SampleArgs>({
    exercise: "5.2",
    name: "temperature 0 is greedy: each row's arg-max, the lowest id among ties (no seed needed)",
    points: 2,
    inputs: () => ({ logits: tf.tensor2d(TIED), opts: { temperature: 0 } }),
    call: seededSampleCall,
    judge: sameTokens,
    probe: tokensProbe,
  }),
  frequencyCheck("4000 draws at temperature 0.8 with topK 4: frequencies within 5 sigma of the intended ones", 2, [1.2, -0.4, 0.3, 2.0, -1.5, 0.9], { temperature: 0.8, topK: 4, seed: 21 }),
  frequencyCheck("4000 draws at temperature 1.5: frequencies within 5 sigma of the intended ones", 1, [0.5, 1.8, -1.0, 0.0, 1.1, -0.3], { temperature: 1.5, seed: 22 }),
  ...contractChecks<M, SampleArgs>({
    exercise: "5.2",
    call: sampleCall,
    forms: [
      { label: "logits [8,10], temperature 1", inputs: () => ({ logits: randn([8, 10], 3161, 1.5), opts: { temperature: 1, seed: 31 } }) },
      { label: "logits [10], topK 3, temperature 0.5", inputs: () => ({ logits: randn([10], 3162, 1.5), opts: { temperature: 0.5, topK: 3, seed: 32 } }) },
      { label: "temperature 0 (greedy)", inputs: () => ({ logits: randn([3, 7], 3163, 1.5), opts: { temperature: 0 } }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "5.2",
    name: "temperature < 0 and topK outside [1, V] raise an error naming sampleNext and the value",
    points: 1,
    cases: [
      { describe: "temperature -1", call: (m) => m.sampleNext(randn([2, 10], 3171), { temperature: -1, seed: 1 }), mention: [/temperature/i, /-1\b/], mentionText: "the temperature -1" },
      { describe: "topK 11 for V = 10", call: (m) => m.sampleNext(randn([2, 10], 3172), { topK: 11, seed: 1 }), mention: [/\b11\b/], mentionText: "topK = 11" },
      { describe: "topK 0", call: (m) => m.sampleNext(randn([2, 10], 3173), { topK: 0, seed: 1 }), mention: [/topK|top-k|\bk\b/i], mentionText: "topK" },
    ],
  }),
  badInputCheck<M>({
    exercise: "5.2",
    name: "no seed with temperature > 0 raises an error naming sampleNext and the seed",
    points: 1,
    cases: [{ describe: "temperature 1, no seed", call: (m) => m.sampleNext(randn([2, 10], 3181), { temperature: 1 }), mention: [/seed/i], mentionText: "the missing seed" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 5.3 decodeStepWithCache

type StepResult = { logits: tf.Tensor; cache: KVCache };

/** The student's step result, or a CheckFailure saying what it returned instead. */
function stepResult(r: unknown): StepResult {
  const o = r as Partial<StepResult> | null;
  if (o === null || typeof o !== "object" || !(o.logits instanceof tf.Tensor) || typeof o.cache !== "object" || o.cache === null || !Array.isArray(o.cache.layers)) {
    throw new CheckFailure(`decodeStepWithCache must return { logits: [B, V], cache: { layers: [{ k, v }, …] } }; it returned ${describeValue(r)}`);
  }
  return o as StepResult;
}

const step = (m: M, params: GptParams, token: readonly number[], cache: KVCache | null): StepResult =>
  stepResult(ownCode("decodeStepWithCache", () => m.decodeStepWithCache(params, token, cache)));

/** Disposes what `old` holds that `next` does not (a step may pass tensors through). */
function disposeReplaced(old: KVCache | null, next: KVCache | null): void {
  const tensors = (c: KVCache | null) => (c ? c.layers.flatMap((l) => [l?.k, l?.v]).filter((t): t is tf.Tensor => t instanceof tf.Tensor) : []);
  const keep = new Set(tensors(next));
  tf.dispose(tensors(old).filter((t) => !keep.has(t)));
}

/** Feeds every column of `tokens` through `m`'s step from an empty cache: logits [B, T, V] and the last cache. */
function stepThrough(m: M, params: GptParams, tokens: number[][]): StepResult {
  let cache: KVCache | null = null;
  const logits: tf.Tensor[] = [];
  for (let t = 0; t < tokens[0].length; t++) {
    const out = step(m, params, tokens.map((r) => r[t]), cache);
    disposeReplaced(cache, out.cache);
    cache = out.cache;
    logits.push(out.logits);
  }
  const odd = logits.find((l) => l.rank !== 2);
  if (odd) throw new CheckFailure("decodeStepWithCache's logits must be [B, V]: one row of V scores per sequence", `got ${fmtShape(odd.shape)}`);
  return { logits: tf.stack(logits, 1), cache: cache as KVCache };
}

/** The reference's cache after feeding `prefix` (for the checks that start from a given cache). */
function referenceCache(params: GptParams, prefix: number[][]): KVCache {
  let cache: KVCache | null = null;
  for (let t = 0; t < prefix[0].length; t++) {
    const out = refStep(params, prefix.map((r) => r[t]), cache);
    out.logits.dispose();
    disposeReplaced(cache, out.cache);
    cache = out.cache;
  }
  return cache as KVCache;
}

const STEP_TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };

/** The cache after a step: every layer's keys and values, as the reference has them. */
function expectCache(got: unknown, expected: KVCache): void {
  const g = got as KVCache;
  if (!g || !Array.isArray(g.layers) || g.layers.length !== expected.layers.length) {
    throw new CheckFailure(`the cache must hold one { k, v } per layer (${expected.layers.length} layers)`, `cache.layers is ${describeValue(g?.layers)}`);
  }
  expected.layers.forEach((e, i) => {
    for (const key of ["k", "v"] as const) {
      const what = `cache.layers[${i}].${key}`;
      const t = g.layers[i]?.[key];
      const r = requireLiveTensor(what, t);
      if (fmtShape(r.shape) !== fmtShape(e[key].shape)) {
        throw new CheckFailure(`the cache's ${key === "k" ? "keys" : "values"} must be [B, h, t, dh] (heads split as splitHeads returns them, positions on axis 2)`, `${what} is ${fmtShape(r.shape)}, expected ${fmtShape(e[key].shape)}`);
      }
      if (!allClose(r.dataSync(), e[key].dataSync(), STEP_TOL)) {
        expectTensorClose(what, r, e[key], STEP_TOL);
      }
    }
  });
}

/** Judges { logits, cache } against the reference's step. */
function expectStep(got: unknown, expected: unknown): void {
  const g = got as StepResult;
  const e = expected as StepResult;
  expectTensorClose("logits", g.logits, e.logits, STEP_TOL);
  expectCache(g.cache, e.cache);
}

/** Which positions' logits match: the first step alone, or not even it. */
function stepProbe(got: unknown, expected: unknown): Finding | undefined {
  const g = (got as StepResult | undefined)?.logits ?? got;
  const e = (expected as StepResult | undefined)?.logits ?? expected;
  if (!(g instanceof tf.Tensor) || g.isDisposed || !(e instanceof tf.Tensor) || fmtShape(g.shape) !== fmtShape(e.shape) || g.rank !== 3) return undefined;
  const [b, t, v] = g.shape as number[];
  const ga = arr(g).data;
  const ea = arr(e).data;
  const matches = (p: number) => {
    for (let r = 0; r < b; r++) for (let j = 0; j < v; j++) {
      const i = (r * t + p) * v + j;
      if (!(Math.abs(ga[i] - ea[i]) <= STEP_TOL.atol + STEP_TOL.rtol * Math.abs(ea[i]))) return false;
    }
    return true;
  };
  const ok = Array.from({ length: t }, (_, p) => matches(p));
  if (ok[0] && ok.slice(1).some((x) => !x)) {
    const wrong = ok.map((x, p) => p).filter((p) => !ok[p]);
    return {
      problem: "your first step (position 0, nothing cached yet) gives the logits of the full forward pass, but later steps do not: the difference comes in with the cache (what it holds, where the new keys and values go) or with the positions after 0",
      detail: `positions ${fmtIndices(wrong)} differ`,
    };
  }
  if (!ok[0]) return { problem: "already your first step (position 0, nothing cached yet) differs from the full forward pass at position 0, so the step itself differs (embedding, a layer, the final norm or the output layer), before any cache is used" };
  return undefined;
}

type SeqArgs = { params: GptParams; tokens: number[][] };
type StepArgs = { params: GptParams; token: number[]; cache: KVCache | null };

const seqArgs = (b: number, t: number, seed: number) => (): SeqArgs => ({ params: gptParams(CHECK_GPT, seed), tokens: tokenRows(b, t, CHECK_GPT.vocabSize, seed + 7) });

/** A step at position `at` (a cache of `at` positions made by the reference), batch `b`. */
function stepArgs(b: number, at: number, seed: number, config: GptConfig = CHECK_GPT): () => StepArgs {
  return () => {
    const params = gptParams(config, seed);
    const rows = tokenRows(b, at + 1, config.vocabSize, seed + 7);
    return { params, token: rows.map((r) => r[at]), cache: at === 0 ? null : referenceCache(params, rows.map((r) => r.slice(0, at))) };
  };
}

const stepCall = (m: M, a: StepArgs): unknown => step(m, a.params, a.token, a.cache);

const stepValues = (name: string, points: number, inputs: () => StepArgs) => valueCheck<M, StepArgs>({ exercise: "5.3", name, points, inputs, call: stepCall, judge: expectStep });

export const DECODE_STEP_CHECKS: readonly Check<M>[] = [
  valueCheck<M, SeqArgs>({
    exercise: "5.3",
    name: "6 steps from an empty cache, B = 2: every step's logits equal the full forward pass at that position (to 1e-5)",
    points: 8,
    inputs: seqArgs(2, 6, 3201),
    call: (m, a) => stepThrough(m, a.params, a.tokens).logits,
    judge: (got, _expected, a) => {
      const ids = tf.tensor2d(a.tokens, undefined, "int32");
      expectTensorClose("logits (step t against position t of the full pass)", got, refForward(a.params, ids), STEP_TOL);
    },
    probe: stepProbe,
  }),
  valueCheck<M, SeqArgs>({
    exercise: "5.3",
    name: "after 6 steps the cache holds every layer's keys and values of the 6 positions, [B, h, 6, dh]",
    points: 4,
    inputs: seqArgs(2, 6, 3301),
    call: (m, a) => stepThrough(m, a.params, a.tokens).cache,
    judge: (got, expected) => expectCache(got, expected as KVCache),
  }),
  stepValues("one step at position 4 from a cache the reference made (B = 2): logits and the new cache", 4, stepArgs(2, 4, 3401)),
  stepValues("B = 3, a step at the last position of the context (t = 7)", 3, stepArgs(3, 7, 3501)),
  stepValues("B = 1, the first step (cache null)", 2, stepArgs(1, 0, 3601)),
  shapeDtypeCheck<M, StepArgs>({
    exercise: "5.3",
    name: "logits [B,V]; cache keys and values [B,h,t+1,dh]; float32",
    points: 1,
    inputs: stepArgs(2, 3, 3651),
    call: (m, a) => {
      const r = step(m, a.params, a.token, a.cache);
      const out: Record<string, unknown> = { logits: r.logits };
      r.cache.layers.forEach((l, i) => {
        out[`cache.layers[${i}].k`] = l?.k;
        out[`cache.layers[${i}].v`] = l?.v;
      });
      return out;
    },
  }),
  ...contractChecks<M, StepArgs>({
    exercise: "5.3",
    call: stepCall,
    forms: [
      { label: "first step (cache null)", inputs: stepArgs(2, 0, 3701) },
      { label: "a step from a cache of 3 positions", inputs: stepArgs(2, 3, 3702) },
    ],
    points: { leaks: 2, fresh: 1, intact: 2 },
  }),
  badInputCheck<M>({
    exercise: "5.3",
    name: "a token outside the vocabulary raises an error naming decodeStepWithCache and the token",
    points: 1,
    cases: [{ describe: "token [3, 11] for V = 11", call: (m) => m.decodeStepWithCache(gptParams(CHECK_GPT, 3801), [3, 11], null), mention: [/\b11\b/], mentionText: "the token 11" }],
  }),
  badInputCheck<M>({
    exercise: "5.3",
    name: "a cache of 2 sequences with 3 tokens raises an error naming decodeStepWithCache",
    points: 1,
    cases: [
      {
        describe: "cache of B = 2, token [1, 2, 3]",
        call: (m) => {
          const a = stepArgs(2, 2, 3811)();
          return m.decodeStepWithCache(a.params, [1, 2, 3], a.cache);
        },
        mention: [/\b2\b/, /\b3\b/],
        mentionText: "the cache's 2 sequences and the 3 tokens",
      },
    ],
  }),
  badInputCheck<M>({
    exercise: "5.3",
    name: "a cache that already fills the context raises an error naming decodeStepWithCache",
    points: 1,
    cases: [
      {
        describe: "a cache of 8 positions, context 8",
        call: (m) => {
          const a = stepArgs(1, 8, 3821, { ...CHECK_GPT })();
          return m.decodeStepWithCache(a.params, a.token.slice(0, 1), a.cache);
        },
        mention: [/\b8\b/],
        mentionText: "the context of 8 positions",
      },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 5.4 gptForward

type FwdArgs = { params: GptParams; ids: tf.Tensor };
const fwdCall = (m: M, a: FwdArgs): unknown => ownCode("gptForward", () => m.gptForward(a.params, a.ids));
const fwdArgs = (b: number, t: number, seed: number) => (): FwdArgs => ({ params: gptParams(CHECK_GPT, seed), ids: tf.tensor2d(tokenRows(b, t, CHECK_GPT.vocabSize, seed + 7), undefined, "int32") });

/** Which positions' logits match the reference: only the last one says that earlier positions see the future. */
function forwardProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || fmtShape(got.shape) !== fmtShape(expected.shape) || got.rank !== 3) return undefined;
  const [b, t, v] = got.shape as number[];
  if (t < 2) return undefined;
  const g = arr(got).data;
  const e = arr(expected).data;
  const ok = Array.from({ length: t }, (_, p) => {
    for (let r = 0; r < b; r++) for (let j = 0; j < v; j++) {
      const i = (r * t + p) * v + j;
      if (!(Math.abs(g[i] - e[i]) <= 1e-4 + 1e-3 * Math.abs(e[i]))) return false;
    }
    return true;
  });
  if (ok[t - 1] && ok.slice(0, -1).every((x) => !x)) {
    return { problem: "your logits match the reference at the last position only, where every token is in the past: the earlier positions see tokens after them (the causal mask does not reach the self-attention)" };
  }
  return undefined;
}

const fwdValues = (name: string, points: number, inputs: () => FwdArgs) => valueCheck<M, FwdArgs>({ exercise: "5.4", name, points, inputs, call: fwdCall, probe: forwardProbe });
const CUT = 3;

export const GPT_FORWARD_CHECKS: readonly Check<M>[] = [
  fwdValues("values, ids [2,6]", 4, fwdArgs(2, 6, 3901)),
  fwdValues("values, ids [1,8] (the whole context)", 2, fwdArgs(1, 8, 3911)),
  fwdValues("values, ids [3,1] (one position)", 1, fwdArgs(3, 1, 3921)),
  valueCheck<M, FwdArgs & { later: tf.Tensor }>({
    exercise: "5.4",
    name: "causal: the logits at positions 0-2 do not change when the ids at positions >= 3 change",
    points: 2,
    inputs: () => {
      const a = fwdArgs(2, 7, 3931)();
      const rows = a.ids.arraySync() as number[][];
      const other = rows.map((r, i) => r.map((x, p) => (p < CUT ? x : (x + 1 + i + p) % CHECK_GPT.vocabSize)));
      return { ...a, later: tf.tensor2d(other, undefined, "int32") };
    },
    call: (m, a) => [fwdCall(m, a), fwdCall(m, { params: a.params, ids: a.later })],
    judge: (got) => {
      const [x, y] = (Array.isArray(got) ? got : [got, undefined]).map((t) => requireLiveTensor("output", t));
      const [b, , v] = x.shape as number[];
      const head = (t: tf.Tensor) => tf.tidy(() => tf.slice(t, [0, 0, 0], [b, CUT, v]));
      const hx = head(x);
      const hy = head(y);
      const dx = hx.dataSync();
      const dy = hy.dataSync();
      tf.dispose([hx, hy]);
      for (let i = 0; i < dx.length; i++) {
        if (!(Math.abs(dx[i] - dy[i]) <= 1e-5)) {
          throw new CheckFailure(
            "the logits at a position change when only later ids change: position i may only see positions 0 … i (causalMask in every layer)",
            `position ${Math.floor(i / v) % CUT} of row ${Math.floor(i / (v * CUT))} moved by ${fmtNum(Math.abs(dx[i] - dy[i]))} when only ids at positions >= ${CUT} changed`,
          );
        }
      }
    },
  }),
  shapeDtypeCheck<M, FwdArgs>({ exercise: "5.4", name: "logits [B,T,V], dtype float32", points: 1, inputs: fwdArgs(2, 3, 3941), call: fwdCall }),
  ...contractChecks<M, FwdArgs>({
    exercise: "5.4",
    call: fwdCall,
    forms: [
      { label: "ids [2,6]", inputs: fwdArgs(2, 6, 3951) },
      { label: "ids [1,1]", inputs: fwdArgs(1, 1, 3952) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "5.4",
    name: "ids longer than the context raise an error naming gptForward, the shape and the context",
    points: 1,
    cases: [{ describe: "ids [1,9], context 8", call: (m) => m.gptForward(gptParams(CHECK_GPT, 3961), tf.zeros([1, 9], "int32")), mention: ["1,9", /\b8\b/], mentionText: "ids [1,9] and the context of 8" }],
  }),
  badInputCheck<M>({
    exercise: "5.4",
    name: "an id outside the vocabulary raises an error naming gptForward and the id",
    points: 1,
    cases: [{ describe: "ids [[3, 11]], V = 11", call: (m) => m.gptForward(gptParams(CHECK_GPT, 3971), tf.tensor2d([[3, 11]], undefined, "int32")), mention: [/\b11\b/], mentionText: "the id 11" }],
  }),
];
