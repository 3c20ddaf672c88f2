/**
 * Graded checks for lib/efficient.ts (notebook 08): exercises 8.1 tiledAttention (25),
 * 8.2 linformerAttention (10), 8.3 performerAttention (20) and 8.4 slidingWindowAttention (20).
 *
 * Besides the values, 8.1, 8.3 and 8.4 are checked for what they are for: the call must never hold
 * a whole [Tq, Tk] matrix (the peak tensor memory of the call, measured by measurePeakMemory, stays
 * below the size of one float32 score matrix). The shapes are chosen so that mistakes show: block
 * sizes that do not divide the lengths, Tq ≠ Tk, dk ≠ dv, E ≠ F, several query chunks.
 */
import * as tf from "@tensorflow/tfjs";
import { CheckFailure, expectResultClose } from "../../../grader/compare";
import type { Check, EfficientModule } from "../../../grader/types";
import { badInputCheck, contractChecks, randn, valueCheck } from "../../../grader/builders";
import { fmtBytes, measurePeakMemory } from "../../../lib/support/measure";

export type { EfficientModule } from "../../../grader/types";

type Qkv = { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor };

function qkv(qShape: number[], kShape: number[], vShape: number[], seed: number, std = 1): Qkv {
  return { q: randn(qShape, seed, std), k: randn(kShape, seed + 1, std), v: randn(vShape, seed + 2) };
}

// ---------------------------------------------------------------------------------------------
// Memory: a call must not hold a whole [Tq, Tk] matrix of float32 scores at once.

/**
 * Runs `f` under measurePeakMemory and returns its output, carrying the peak as non-enumerable
 * fields (the judge reads them; result comparisons and misconception fingerprints see the output
 * tensor only, so a variant is matched by its values, not by how it holds memory).
 */
function withMemory(f: () => tf.Tensor, scoreBytes: number): tf.Tensor {
  const r = measurePeakMemory(f);
  if (r.result instanceof tf.Tensor) {
    Object.defineProperty(r.result, "labPeakBytes", { value: r.peakBytes, enumerable: false, configurable: true });
    Object.defineProperty(r.result, "labScoreBytes", { value: scoreBytes, enumerable: false, configurable: true });
  }
  return r.result;
}

/** Fails when the call held at once at least the bytes of the batch's float32 [Tq, Tk] score matrices; then compares the output. */
function memoryJudge(fn: string, advice: string) {
  return (got: unknown, expected: unknown): void => {
    const g = got as { labPeakBytes?: number; labScoreBytes?: number } | undefined;
    if (g && typeof g.labPeakBytes === "number" && typeof g.labScoreBytes === "number" && g.labPeakBytes >= g.labScoreBytes) {
      throw new CheckFailure(
        `${fn} held as much tensor memory at once as the whole [Tq, Tk] score matrix, the matrix this method exists to avoid: ${advice}`,
        `peak tensor memory of the call ${fmtBytes(g.labPeakBytes)}; one float32 [Tq, Tk] matrix is ${fmtBytes(g.labScoreBytes)}`,
      );
    }
    expectResultClose("output", got, expected);
  };
}

// ---------------------------------------------------------------------------------------------
// 8.1 tiledAttention

type TiledArgs = Qkv & { options: { blockQ: number; blockK: number; causal?: boolean } };
const tiledCall = (m: EfficientModule, a: TiledArgs): unknown => m.tiledAttention(a.q, a.k, a.v, a.options);
const tiled = (qShape: number[], kShape: number[], vShape: number[], seed: number, options: TiledArgs["options"], std = 1) => (): TiledArgs => ({
  ...qkv(qShape, kShape, vShape, seed, std),
  options,
});

/**
 * Keys whose scores grow from block to block (key j scaled by 1 + j/3), so that almost every new
 * key block raises each query's running maximum: an output accumulated against an old maximum
 * and not rescaled is far off.
 */
function risingKeys(): TiledArgs {
  const qkvRising = tf.tidy(() => {
    const n = 12;
    const growth = tf.reshape(tf.add(1, tf.div(tf.range(0, n), 3)), [1, n, 1]);
    // Returned from the tidy, q, k and v belong to the caller's scope (not tf.keep: that would outlive it).
    return { q: randn([2, 9, 8], 8131, 1.5), k: tf.mul(randn([2, n, 8], 8132), growth), v: randn([2, n, 4], 8133) };
  });
  return { ...qkvRising, options: { blockQ: 4, blockK: 3 } };
}

export const TILED_CHECKS: readonly Check<EfficientModule>[] = [
  valueCheck({ exercise: "8.1", name: "values, q [2,7,8], k/v [2,11,·], blocks 3x4 that do not divide the lengths", points: 4, inputs: tiled([2, 7, 8], [2, 11, 8], [2, 11, 5], 8101, { blockQ: 3, blockK: 4 }), call: tiledCall }),
  valueCheck({ exercise: "8.1", name: "values, [16,8] self-attention, blocks 4x4 that divide n", points: 2, inputs: tiled([16, 8], [16, 8], [16, 6], 8111, { blockQ: 4, blockK: 4 }), call: tiledCall }),
  valueCheck({ exercise: "8.1", name: "values, blocks larger than the sequence (one block)", points: 2, inputs: tiled([5, 6], [6, 6], [6, 3], 8121, { blockQ: 32, blockK: 32 }), call: tiledCall }),
  valueCheck({ exercise: "8.1", name: "values, blocks 1x1 (one query against one key at a time)", points: 2, inputs: tiled([2, 4, 4], [2, 5, 4], [2, 5, 3], 8126, { blockQ: 1, blockK: 1 }), call: tiledCall }),
  valueCheck({ exercise: "8.1", name: "values, scores that rise from key block to key block (the running maximum changes)", points: 3, inputs: risingKeys, call: tiledCall }),
  valueCheck({ exercise: "8.1", name: "causal, n = 10, blocks 3x4 (blocks cross the diagonal unevenly)", points: 4, inputs: tiled([2, 10, 8], [2, 10, 8], [2, 10, 5], 8141, { blockQ: 3, blockK: 4, causal: true }), call: tiledCall }),
  valueCheck({ exercise: "8.1", name: "causal, n = 12, blocks 4x4 (diagonal blocks exactly square)", points: 2, inputs: tiled([12, 6], [12, 6], [12, 4], 8151, { blockQ: 4, blockK: 4, causal: true }), call: tiledCall }),
  valueCheck({
    exercise: "8.1",
    name: "never holds the [Tq, Tk] score matrix (peak tensor memory, n = 256, blocks 32x32)",
    points: 2,
    inputs: tiled([256, 16], [256, 16], [256, 16], 8161, { blockQ: 32, blockK: 32 }),
    call: (m, a) => withMemory(() => m.tiledAttention(a.q, a.k, a.v, a.options), 256 * 256 * 4),
    judge: memoryJudge("tiledAttention", "free each step's tensors before the next step (a tf.tidy per key block, returning only m, l and acc), not one tf.tidy around the whole loop"),
  }),
  ...contractChecks<EfficientModule, TiledArgs>({
    exercise: "8.1",
    call: tiledCall,
    forms: [
      { label: "q [2,7,8], k/v [2,11,·], blocks 3x4", inputs: tiled([2, 7, 8], [2, 11, 8], [2, 11, 5], 8171, { blockQ: 3, blockK: 4 }) },
      { label: "causal, [2,10,8], blocks 3x4", inputs: tiled([2, 10, 8], [2, 10, 8], [2, 10, 5], 8172, { blockQ: 3, blockK: 4, causal: true }) },
      { label: "rank 2, [9,4], blocks 4x2", inputs: tiled([9, 4], [9, 4], [9, 4], 8173, { blockQ: 4, blockK: 2 }) },
      { label: "rank 4, [2,2,6,4], causal: false given", inputs: tiled([2, 2, 6, 4], [2, 2, 6, 4], [2, 2, 6, 4], 8174, { blockQ: 4, blockK: 4, causal: false }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<EfficientModule>({
    exercise: "8.1",
    name: "bad input raises an error naming tiledAttention",
    points: 1,
    cases: [
      { describe: "blockQ 0", call: (m) => m.tiledAttention(randn([4, 4], 8181), randn([4, 4], 8182), randn([4, 4], 8183), { blockQ: 0, blockK: 2 }), mention: [/blockQ/], mentionText: "the bad blockQ" },
      { describe: "blockK 2.5", call: (m) => m.tiledAttention(randn([4, 4], 8184), randn([4, 4], 8185), randn([4, 4], 8186), { blockQ: 2, blockK: 2.5 }), mention: [/blockK/], mentionText: "the bad blockK" },
      { describe: "q [2,5,8], k [2,6,4]", call: (m) => m.tiledAttention(randn([2, 5, 8], 8187), randn([2, 6, 4], 8188), randn([2, 6, 4], 8189), { blockQ: 2, blockK: 2 }), mention: ["2,5,8", "2,6,4"], mentionText: "the shapes of q and k" },
      { describe: "causal with q [5,4], k [7,4]", call: (m) => m.tiledAttention(randn([5, 4], 8190), randn([7, 4], 8191), randn([7, 4], 8192), { blockQ: 2, blockK: 2, causal: true }), mention: ["5,4", "7,4"], mentionText: "the lengths of q and k (causal needs Tq = Tk)" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 8.2 linformerAttention

type LinformerArgs = Qkv & { projections: { E: tf.Tensor; F: tf.Tensor } };
const linformerCall = (m: EfficientModule, a: LinformerArgs): unknown => m.linformerAttention(a.projections, a.q, a.k, a.v);
/** Random projections [kp, n] of standard deviation 1/sqrt(n), E and F different. */
const linformer = (qShape: number[], kShape: number[], vShape: number[], kp: number, seed: number) => (): LinformerArgs => {
  const n = kShape[kShape.length - 2];
  return { ...qkv(qShape, kShape, vShape, seed), projections: { E: randn([kp, n], seed + 3, 1 / Math.sqrt(n)), F: randn([kp, n], seed + 4, 1 / Math.sqrt(n)) } };
};

export const LINFORMER_CHECKS: readonly Check<EfficientModule>[] = [
  valueCheck({ exercise: "8.2", name: "values, q [2,9,8], k/v [2,12,·], E, F [4,12]", points: 3, inputs: linformer([2, 9, 8], [2, 12, 8], [2, 12, 6], 4, 8201), call: linformerCall }),
  valueCheck({ exercise: "8.2", name: "values, rank 2, q [7,8], k/v [10,·], E, F [3,10]", points: 2, inputs: linformer([7, 8], [10, 8], [10, 5], 3, 8211), call: linformerCall }),
  valueCheck({ exercise: "8.2", name: "values, rank 4, [2,2,6,4], E, F [5,6]", points: 1, inputs: linformer([2, 2, 6, 4], [2, 2, 6, 4], [2, 2, 6, 3], 5, 8221), call: linformerCall }),
  ...contractChecks<EfficientModule, LinformerArgs>({
    exercise: "8.2",
    call: linformerCall,
    forms: [
      { label: "q [2,9,8], k/v [2,12,·], E, F [4,12]", inputs: linformer([2, 9, 8], [2, 12, 8], [2, 12, 6], 4, 8231) },
      { label: "rank 2, E, F [3,10]", inputs: linformer([7, 8], [10, 8], [10, 5], 3, 8232) },
      { label: "rank 4, E, F [5,6]", inputs: linformer([2, 2, 6, 4], [2, 2, 6, 4], [2, 2, 6, 3], 5, 8233) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<EfficientModule>({
    exercise: "8.2",
    name: "bad input raises an error naming linformerAttention",
    points: 1,
    cases: [
      {
        describe: "k/v [12,8], E [4,10]",
        call: (m) => m.linformerAttention({ E: randn([4, 10], 8241), F: randn([4, 12], 8242) }, randn([6, 8], 8243), randn([12, 8], 8244), randn([12, 8], 8245)),
        mention: ["4,10"],
        mentionText: "the shape of E (its second axis must be the keys' length)",
      },
      {
        describe: "E [4,12], F [3,12]",
        call: (m) => m.linformerAttention({ E: randn([4, 12], 8246), F: randn([3, 12], 8247) }, randn([6, 8], 8248), randn([12, 8], 8249), randn([12, 8], 8250)),
        mention: ["3,12"],
        mentionText: "the shape of F (it must be like E's)",
      },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 8.3 performerAttention

type PerformerArgs = Qkv & { options: { numFeatures: number; seed: number } };
const performerCall = (m: EfficientModule, a: PerformerArgs): unknown => m.performerAttention(a.q, a.k, a.v, a.options);
const performer = (qShape: number[], kShape: number[], vShape: number[], seed: number, options: PerformerArgs["options"], std = 1) => (): PerformerArgs => ({
  ...qkv(qShape, kShape, vShape, seed, std),
  options,
});

export const PERFORMER_CHECKS: readonly Check<EfficientModule>[] = [
  valueCheck({ exercise: "8.3", name: "values, q [2,9,8], k/v [2,12,·], m = 16", points: 4, inputs: performer([2, 9, 8], [2, 12, 8], [2, 12, 6], 8301, { numFeatures: 16, seed: 3 }), call: performerCall }),
  valueCheck({ exercise: "8.3", name: "values, rank 2, m = 5 (fewer features than dk)", points: 4, inputs: performer([7, 8], [10, 8], [10, 5], 8311, { numFeatures: 5, seed: 7 }), call: performerCall }),
  valueCheck({ exercise: "8.3", name: "values, large inputs (q, k of std 3), m = 32", points: 3, inputs: performer([2, 6, 8], [2, 9, 8], [2, 9, 4], 8321, { numFeatures: 32, seed: 11 }, 3), call: performerCall }),
  valueCheck({ exercise: "8.3", name: "values, rank 4, [2,2,6,4], m = 8", points: 2, inputs: performer([2, 2, 6, 4], [2, 2, 6, 4], [2, 2, 6, 3], 8331, { numFeatures: 8, seed: 5 }), call: performerCall }),
  valueCheck({
    exercise: "8.3",
    name: "never holds a [Tq, Tk] matrix (peak tensor memory, n = 256, m = 16)",
    points: 2,
    inputs: performer([256, 8], [256, 8], [256, 8], 8341, { numFeatures: 16, seed: 9 }),
    call: (m, a) => withMemory(() => m.performerAttention(a.q, a.k, a.v, a.options), 256 * 256 * 4),
    judge: memoryJudge("performerAttention", "multiply right to left, Q′·(K′ᵀ·v) and Q′·(K′ᵀ·1), so that only [m, dv] and [Tq, m] products are formed, never Q′·K′ᵀ"),
  }),
  ...contractChecks<EfficientModule, PerformerArgs>({
    exercise: "8.3",
    call: performerCall,
    forms: [
      { label: "q [2,9,8], k/v [2,12,·], m = 16", inputs: performer([2, 9, 8], [2, 12, 8], [2, 12, 6], 8351, { numFeatures: 16, seed: 3 }) },
      { label: "rank 2, m = 5", inputs: performer([7, 8], [10, 8], [10, 5], 8352, { numFeatures: 5, seed: 7 }) },
      { label: "rank 4, m = 8", inputs: performer([2, 2, 6, 4], [2, 2, 6, 4], [2, 2, 6, 3], 8353, { numFeatures: 8, seed: 5 }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<EfficientModule>({
    exercise: "8.3",
    name: "bad input raises an error naming performerAttention",
    points: 2,
    cases: [
      { describe: "numFeatures 0", call: (m) => m.performerAttention(randn([4, 4], 8361), randn([4, 4], 8362), randn([4, 4], 8363), { numFeatures: 0, seed: 1 }), mention: [/numFeatures/], mentionText: "the bad numFeatures" },
      { describe: "seed 0", call: (m) => m.performerAttention(randn([4, 4], 8364), randn([4, 4], 8365), randn([4, 4], 8366), { numFeatures: 4, seed: 0 }), mention: [/seed/], mentionText: "the bad seed" },
      { describe: "q [2,5,8], k [2,6,4]", call: (m) => m.performerAttention(randn([2, 5, 8], 8367), randn([2, 6, 4], 8368), randn([2, 6, 4], 8369), { numFeatures: 4, seed: 1 }), mention: ["2,5,8", "2,6,4"], mentionText: "the shapes of q and k" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 8.4 slidingWindowAttention

type WindowArgs = Qkv & { options: { window: number; globalTokens?: readonly number[] } };
const windowCall = (m: EfficientModule, a: WindowArgs): unknown => m.slidingWindowAttention(a.q, a.k, a.v, a.options);
const sliding = (shape: number[], dv: number, seed: number, options: WindowArgs["options"]) => (): WindowArgs => ({
  ...qkv(shape, shape, [...shape.slice(0, -1), dv], seed),
  options,
});

export const SLIDING_WINDOW_CHECKS: readonly Check<EfficientModule>[] = [
  valueCheck({ exercise: "8.4", name: "values, [2,12,8], window 2, no global tokens", points: 3, inputs: sliding([2, 12, 8], 6, 8401, { window: 2 }), call: windowCall }),
  valueCheck({ exercise: "8.4", name: "values, [2,12,8], window 2, global tokens [0, 7]", points: 4, inputs: sliding([2, 12, 8], 6, 8411, { window: 2, globalTokens: [0, 7] }), call: windowCall }),
  valueCheck({ exercise: "8.4", name: "values, window 0 (each query sees itself), global token [3]", points: 2, inputs: sliding([9, 4], 3, 8421, { window: 0, globalTokens: [3] }), call: windowCall }),
  valueCheck({ exercise: "8.4", name: "values, window = n (full attention), rank 2", points: 1, inputs: sliding([6, 4], 4, 8431, { window: 6 }), call: windowCall }),
  valueCheck({ exercise: "8.4", name: "values, rank 4 [2,2,10,4], window 3, global tokens [9, 5] (inside the windows, unsorted)", points: 2, inputs: sliding([2, 2, 10, 4], 3, 8441, { window: 3, globalTokens: [9, 5] }), call: windowCall }),
  valueCheck({ exercise: "8.4", name: "values, n = 40 (several chunks of queries), window 3, global token [0]", points: 2, inputs: sliding([40, 4], 4, 8451, { window: 3, globalTokens: [0] }), call: windowCall }),
  valueCheck({
    exercise: "8.4",
    name: "never holds an [n, n] matrix (peak tensor memory, n = 512, window 4)",
    points: 2,
    inputs: sliding([512, 8], 8, 8461, { window: 4, globalTokens: [0] }),
    call: (m, a) => withMemory(() => m.slidingWindowAttention(a.q, a.k, a.v, a.options), 512 * 512 * 4),
    judge: memoryJudge("slidingWindowAttention", "take the queries in chunks, each against only the keys its windows reach plus the global keys, instead of masking a full [n, n] score matrix"),
  }),
  ...contractChecks<EfficientModule, WindowArgs>({
    exercise: "8.4",
    call: windowCall,
    forms: [
      { label: "[2,12,8], window 2", inputs: sliding([2, 12, 8], 6, 8471, { window: 2 }) },
      { label: "[2,12,8], window 2, global tokens [0, 7]", inputs: sliding([2, 12, 8], 6, 8472, { window: 2, globalTokens: [0, 7] }) },
      { label: "rank 2 [9,4], window 0, global token [3]", inputs: sliding([9, 4], 3, 8473, { window: 0, globalTokens: [3] }) },
      { label: "rank 4 [2,2,10,4], window 3, global tokens [9, 5]", inputs: sliding([2, 2, 10, 4], 3, 8474, { window: 3, globalTokens: [9, 5] }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<EfficientModule>({
    exercise: "8.4",
    name: "bad input raises an error naming slidingWindowAttention",
    points: 1,
    cases: [
      { describe: "n = 12, window 13", call: (m) => m.slidingWindowAttention(randn([12, 4], 8481), randn([12, 4], 8482), randn([12, 4], 8483), { window: 13 }), mention: [/window/], mentionText: "the window that is larger than n" },
      { describe: "n = 12, global token 12", call: (m) => m.slidingWindowAttention(randn([12, 4], 8484), randn([12, 4], 8485), randn([12, 4], 8486), { window: 2, globalTokens: [12] }), mention: [/global/i], mentionText: "the global position outside [0, n)" },
      { describe: "q [5,4], k [7,4]", call: (m) => m.slidingWindowAttention(randn([5, 4], 8487), randn([7, 4], 8488), randn([7, 4], 8489), { window: 2 }), mention: ["5,4", "7,4"], mentionText: "the shapes of q and k (self-attention needs Tq = Tk)" },
    ],
  }),
];
