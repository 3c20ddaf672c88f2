/**
 * Notebook 08's references (solutions/efficient.ts) and support code (lib/support/efficient.ts,
 * lib/support/measure.ts): tiled attention is exact for any blocks and never holds the score
 * matrix; Linformer is attention over projected keys and values; the Performer's estimate is
 * unbiased and its attention approaches the exact one as m grows; the sliding window equals full
 * attention under its band-plus-global mask in O(n·w) memory; errors name the bad input;
 * sequenceRows (lib/support/ops.ts) takes the same rows as tf.slice.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { performerFeatures, poolingProjection } from "../../lib/support/efficient";
import { cpuTimeMs, fitPowerLaw, fmtBytes, measurePeakMemory } from "../../lib/support/measure";
import { sequenceRows } from "../../lib/support/ops";
import { randn } from "../../lib/support/random";
import { scaledDotProductAttention } from "../../solutions/attention";
import { linformerAttention, performerAttention, slidingWindowAttention, tiledAttention } from "../../solutions/efficient";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Standard attention's output, with an optional 0/1 mask given as a function of (i, j). */
function exact(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, allowed?: (i: number, j: number) => boolean): tf.Tensor {
  return tf.tidy(() => {
    const [tq, tk] = [q.shape[q.rank - 2], k.shape[k.rank - 2]];
    const mask = allowed ? tf.tensor2d(Array.from({ length: tq }, (_, i) => Array.from({ length: tk }, (_, j) => (allowed(i, j) ? 1 : 0)))) : undefined;
    return scaledDotProductAttention(q, k, v, mask).output;
  });
}

/** Asserts that `f` leaves no tensor behind (after a warm-up call) and returns its result's values. */
function leakFree(f: () => tf.Tensor): void {
  f().dispose();
  const before = tf.memory().numTensors;
  f().dispose();
  expect(tf.memory().numTensors).toBe(before);
}

describe("measurePeakMemory", () => {
  it("counts distinct live buffers at their high-water mark, not reshaped views, and restores the engine", () => {
    const x = tf.zeros([100]); // 400 bytes, live before the call: not counted
    const r = measurePeakMemory(() =>
      tf.tidy(() => {
        const a = tf.neg(x); // 400 live
        const view = tf.reshape(a, [10, 10]); // shares a's buffer: still 400
        const b = tf.abs(view); // 800 live
        a.dispose(); // the buffer lives on in the view
        view.dispose(); // now it is freed: 400 live
        return tf.square(b); // 800 live; the tidy then frees b
      }),
    );
    expect(r.peakBytes).toBe(800);
    expect(r.endBytes).toBe(400);
    expect(r.allocatedBytes).toBe(1200);
    tf.dispose([r.result, x]);
    const engine = tf.engine() as unknown as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(engine, "trackTensor")).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(engine, "disposeTensor")).toBe(false);
  });

  it("sees standard attention's [n, n] matrices and their absence in tiled attention", () => {
    const n = 512;
    const [q, k, v] = [randn([n, 16], 1), randn([n, 16], 2), randn([n, 16], 3)];
    const std = measurePeakMemory(() => scaledDotProductAttention(q, k, v));
    const tiled = measurePeakMemory(() => tiledAttention(q, k, v, { blockQ: 64, blockK: 64 }));
    expect(std.peakBytes).toBeGreaterThanOrEqual(2 * n * n * 4); // scores and weights
    expect(tiled.peakBytes).toBeLessThan(n * n * 4 / 8);
    tf.dispose([std.result.output, std.result.weights, tiled.result, q, k, v]);
  });

  it("fits power laws and formats sizes", () => {
    const xs = [1, 2, 4, 8];
    expect(fitPowerLaw(xs, xs.map((x) => 3 * x * x)).slope).toBeCloseTo(2, 10);
    expect(fitPowerLaw(xs, xs.map((x) => 3 * x * x)).coefficient).toBeCloseTo(3, 10);
    expect(() => fitPowerLaw([1, 1], [2, 3])).toThrow(/must not all be equal/);
    expect(() => fitPowerLaw([1, 2], [0, 3])).toThrow(/positive/);
    expect(fmtBytes(1_234_567)).toBe("1.23 MB");
    const t = cpuTimeMs(() => tf.ones([10]));
    expect(t.cpuMs).toBeGreaterThanOrEqual(0);
  });
});

describe("8.1 tiledAttention", () => {
  it("equals standard attention to 1e-5 for any block sizes, including ones that do not divide n, with batch dims", () => {
    const [q, k, v] = [randn([2, 3, 37, 16], 11), randn([2, 3, 29, 16], 12), randn([2, 3, 29, 8], 13)];
    const want = exact(q, k, v);
    for (const [blockQ, blockK] of [[1, 1], [5, 7], [8, 8], [16, 3], [37, 29], [64, 100], [3, 29]]) {
      const got = tiledAttention(q, k, v, { blockQ, blockK });
      expect(maxAbs(got, want), `blocks ${blockQ}x${blockK}`).toBeLessThan(1e-5);
      got.dispose();
    }
    tf.dispose([q, k, v, want]);
  });

  it("causal: equals masked standard attention, skips the blocks above the diagonal", async () => {
    const n = 23;
    const [q, k, v] = [randn([2, n, 8], 21), randn([2, n, 8], 22), randn([2, n, 4], 23)];
    const want = exact(q, k, v, (i, j) => j <= i);
    for (const [blockQ, blockK] of [[1, 1], [4, 3], [3, 4], [5, 5], [8, 2], [23, 23], [30, 7]]) {
      const got = tiledAttention(q, k, v, { blockQ, blockK, causal: true });
      expect(maxAbs(got, want), `blocks ${blockQ}x${blockK}`).toBeLessThan(1e-5);
      got.dispose();
    }
    // Blocks of 4 over 32 positions: 8 x 8 = 64 block pairs, of which 36 are on or below the diagonal.
    const [q2, k2, v2] = [randn([32, 8], 24), randn([32, 8], 25), randn([32, 8], 26)];
    const exps = async (causal: boolean) => (await tf.profile(() => tiledAttention(q2, k2, v2, { blockQ: 4, blockK: 4, causal }))).kernels.filter((kn) => kn.name === "Exp").length;
    expect((await exps(true)) / (await exps(false))).toBeCloseTo(36 / 64, 10);
    const alloc = (causal: boolean) => {
      const r = measurePeakMemory(() => tiledAttention(q2, k2, v2, { blockQ: 4, blockK: 4, causal }));
      r.result.dispose();
      return r.allocatedBytes;
    };
    expect(alloc(true) / alloc(false)).toBeLessThan(0.75);
    tf.dispose([q, k, v, want, q2, k2, v2]);
  });

  it("never holds more than a few blocks of scores: peak memory grows linearly with n", () => {
    const peak = (n: number) => {
      const [q, k, v] = [randn([n, 16], 31), randn([n, 16], 32), randn([n, 16], 33)];
      const r = measurePeakMemory(() => tiledAttention(q, k, v, { blockQ: 32, blockK: 32 }));
      tf.dispose([r.result, q, k, v]);
      return r.peakBytes;
    };
    const ns = [256, 512, 1024];
    const fit = fitPowerLaw(ns, ns.map(peak));
    expect(fit.slope).toBeLessThan(1.1);
  });

  it("leaks nothing, also causal; a second call and a caller's tidy change nothing", () => {
    const [q, k, v] = [randn([2, 9, 4], 41), randn([2, 9, 4], 42), randn([2, 9, 4], 43)];
    leakFree(() => tiledAttention(q, k, v, { blockQ: 2, blockK: 4 }));
    leakFree(() => tiledAttention(q, k, v, { blockQ: 4, blockK: 2, causal: true }));
    const a = tf.tidy(() => tiledAttention(q, k, v, { blockQ: 3, blockK: 3 }));
    const b = tiledAttention(q, k, v, { blockQ: 3, blockK: 3 });
    expect(maxAbs(a, b)).toBe(0);
    tf.dispose([q, k, v, a, b]);
  });

  it("rejects bad block sizes and shapes with errors naming tiledAttention and the value", () => {
    const [q, k, v] = [randn([5, 4], 51), randn([6, 4], 52), randn([6, 3], 53)];
    expect(() => tiledAttention(q, k, v, { blockQ: 0, blockK: 2 })).toThrow(/tiledAttention: argument "options.blockQ" must be an integer >= 1, got number 0/);
    expect(() => tiledAttention(q, k, v, { blockQ: 2, blockK: -1 })).toThrow(/tiledAttention: argument "options.blockK".*-1/);
    expect(() => tiledAttention(q, k, v, { blockQ: 2.5, blockK: 2 })).toThrow(/options.blockQ.*2.5/);
    expect(() => tiledAttention(q, k, v, { blockQ: 2, blockK: 2, causal: true })).toThrow(/tiledAttention: options.causal needs as many queries as keys.*\[5,4\].*\[6,4\]/);
    expect(() => tiledAttention(q, randn([6, 5], 54), v, { blockQ: 2, blockK: 2 })).toThrow(/tiledAttention: q \[5,4\] and k \[6,5\]/);
    expect(() => tiledAttention(q, k, randn([7, 3], 55), { blockQ: 2, blockK: 2 })).toThrow(/tiledAttention: v \[7,3\]/);
    expect(() => tiledAttention(q, k, v, undefined as never)).toThrow(/tiledAttention: argument "options" must be an options object/);
    tf.dispose([q, k, v]);
  });
});

describe("8.2 linformerAttention", () => {
  it("is standard attention over E·K and F·V, for every leading index", () => {
    const [B, n, kp] = [3, 12, 5];
    const [q, k, v] = [randn([B, 7, 8], 61), randn([B, n, 8], 62), randn([B, n, 4], 63)];
    const [E, F] = [randn([kp, n], 64, 1 / Math.sqrt(n)), randn([kp, n], 65, 1 / Math.sqrt(n))];
    const got = linformerAttention({ E, F }, q, k, v);
    const want = tf.tidy(() => {
      const outs = [];
      for (let b = 0; b < B; b++) {
        const slice = (x: tf.Tensor) => x.slice([b, 0, 0], [1, -1, -1]).reshape(x.shape.slice(1));
        outs.push(scaledDotProductAttention(slice(q), tf.matMul(E, slice(k)), tf.matMul(F, slice(v))).output);
      }
      return tf.stack(outs);
    });
    expect(maxAbs(got, want)).toBeLessThan(1e-5);
    tf.dispose([got, want]);
    // E = F = identity (k = n) is exact attention; mean pooling over segments is the fixed projection of notebook 08.
    const I = poolingProjection(n, n);
    const same = linformerAttention({ E: I, F: I }, q, k, v);
    const full = exact(q, k, v);
    expect(maxAbs(same, full)).toBeLessThan(1e-5);
    const P = poolingProjection(4, 10);
    expect(Array.from(P.arraySync()[1] as number[]).map((x) => Number(x.toFixed(4)))).toEqual([0, 0, 0.3333, 0.3333, 0.3333, 0, 0, 0, 0, 0]);
    expect(tf.tidy(() => tf.sum(P, 1).arraySync())).toEqual([1, 1, 1, 1].map((x) => expect.closeTo(x, 6)));
    leakFree(() => linformerAttention({ E, F }, q, k, v));
    tf.dispose([q, k, v, E, F, I, same, full, P]);
  });

  it("rejects projections of the wrong length", () => {
    const [q, k, v] = [randn([2, 6, 4], 71), randn([2, 6, 4], 72), randn([2, 6, 3], 73)];
    const E = randn([3, 6], 74);
    expect(() => linformerAttention({ E: randn([3, 5], 75), F: E }, q, k, v)).toThrow(/linformerAttention: projections.E \[3,5\] must be \[k, n\] with n = 6.*\[2,6,4\]/);
    expect(() => linformerAttention({ E, F: randn([2, 6], 76) }, q, k, v)).toThrow(/linformerAttention: projections.F \[2,6\] must be \[k, n\] = \[3, 6\]/);
    expect(() => linformerAttention({ E, F: randn([3, 6, 1], 77) }, q, k, v)).toThrow(/projections.F.*rank 2.*\[3,6,1\]/);
    expect(() => linformerAttention({ E } as never, q, k, v)).toThrow(/projections.F.*must be a tf.Tensor/);
    tf.dispose([q, k, v, E]);
  });
});

describe("8.3 performerAttention", () => {
  it("draws seeded features: orthogonal within blocks of d, normal lengths, the same on every call", () => {
    const d = 8;
    const w = performerFeatures(20, d, 7);
    const rows = w.arraySync() as number[][];
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) expect(Math.abs(rows[a].reduce((s, x, c) => s + x * rows[b][c], 0))).toBeLessThan(1e-4);
    expect(rows[0]).toEqual(performerFeatures(20, d, 7).arraySync()[0]);
    expect(rows[0]).not.toEqual(performerFeatures(20, d, 8).arraySync()[0]);
    // Over many rows, E[‖ω‖²] = d (each row is marginally N(0, I)).
    const many = performerFeatures(4000, d, 9);
    const meanSq = tf.tidy(() => tf.mean(tf.sum(tf.square(many), 1)).dataSync()[0]);
    expect(meanSq).toBeGreaterThan(d * 0.95);
    expect(meanSq).toBeLessThan(d * 1.05);
    expect(() => performerFeatures(4, d, 0)).toThrow(/seed.*non-zero/);
    tf.dispose([w, many]);
  });

  it("is D⁻¹Q′(K′ᵀV) with φ(x) = exp(ωᵀx − ‖x‖²/2)/√m, and approaches exact attention as m grows", () => {
    const [q, k, v] = [randn([2, 10, 8], 81, 0.5), randn([2, 12, 8], 82, 0.5), randn([2, 12, 3], 83)];
    const m = 64;
    const got = performerAttention(q, k, v, { numFeatures: m, seed: 5 });
    const want = tf.tidy(() => {
      const omega = performerFeatures(m, 8, 5);
      const phi = (x: tf.Tensor) => {
        const s = tf.mul(x, 8 ** -0.25);
        return tf.div(tf.exp(tf.sub(tf.matMul(s, tf.broadcastTo(omega, [2, m, 8]), false, true), tf.mul(tf.sum(tf.square(s), -1, true), 0.5))), Math.sqrt(m));
      };
      const A = tf.matMul(phi(q), phi(k), false, true); // the [Tq, Tk] estimate, fine at this size
      return tf.matMul(tf.div(A, tf.sum(A, -1, true)), v);
    });
    expect(maxAbs(got, want)).toBeLessThan(1e-5);
    const full = exact(q, k, v);
    const err = (numFeatures: number) => {
      const r = performerAttention(q, k, v, { numFeatures, seed: 3 });
      const e = maxAbs(r, full);
      r.dispose();
      return e;
    };
    expect(err(4096)).toBeLessThan(err(16) / 4);
    leakFree(() => performerAttention(q, k, v, { numFeatures: 16, seed: 2 }));
    tf.dispose([q, k, v, got, want, full]);
  });

  it("estimates exp(qᵀk/√d) without bias: the mean over seeds converges to the exact kernel", () => {
    const d = 4;
    const x = tf.tensor1d([0.3, -0.5, 0.8, 0.1]);
    const y = tf.tensor1d([0.6, 0.2, -0.4, 0.9]);
    const exactKernel = Math.exp(tf.tidy(() => tf.sum(tf.mul(x, y)).dataSync()[0]) / Math.sqrt(d));
    let sum = 0;
    const seeds = 400;
    for (let s = 1; s <= seeds; s++) {
      sum += tf.tidy(() => {
        const w = performerFeatures(8, d, s);
        const phi = (z: tf.Tensor) => tf.div(tf.exp(tf.sub(tf.matMul(w, tf.reshape(tf.mul(z, d ** -0.25), [d, 1])), tf.mul(tf.sum(tf.square(tf.mul(z, d ** -0.25))), 0.5))), Math.sqrt(8));
        return tf.sum(tf.mul(phi(x), phi(y))).dataSync()[0];
      });
    }
    expect(Math.abs(sum / seeds - exactKernel) / exactKernel).toBeLessThan(0.02);
    tf.dispose([x, y]);
  });

  it("never holds a [Tq, Tk] matrix and rejects bad options", () => {
    const peak = (n: number) => {
      const [q, k, v] = [randn([n, 16], 91), randn([n, 16], 92), randn([n, 16], 93)];
      const r = measurePeakMemory(() => performerAttention(q, k, v, { numFeatures: 32, seed: 1 }));
      tf.dispose([r.result, q, k, v]);
      return r.peakBytes;
    };
    const ns = [512, 1024, 2048];
    const peaks = ns.map(peak);
    expect(fitPowerLaw(ns, peaks).slope).toBeLessThan(1.1);
    expect(peaks[2]).toBeLessThan((2048 * 2048 * 4) / 8);
    const [q, k, v] = [randn([8, 16], 94), randn([8, 16], 95), randn([8, 16], 96)];
    expect(() => performerAttention(q, k, v, { numFeatures: 0, seed: 1 })).toThrow(/performerAttention: argument "options.numFeatures" must be an integer >= 1, got number 0/);
    expect(() => performerAttention(q, k, v, { numFeatures: 4, seed: 0 })).toThrow(/performerAttention: argument "options.seed" must be a non-zero integer, got number 0/);
    tf.dispose([q, k, v]);
  });
});

describe("8.4 slidingWindowAttention", () => {
  it("equals full attention under the band-plus-global mask, for every window and global set", () => {
    const n = 41;
    const [q, k, v] = [randn([2, 2, n, 8], 101), randn([2, 2, n, 8], 102), randn([2, 2, n, 5], 103)];
    for (const [window, globals] of [[0, []], [1, []], [3, [0]], [5, [0, 17, 40]], [16, [3, 4]], [17, [20]], [40, []], [41, [7]], [2, [39, 0]]] as [number, number[]][]) {
      const g = new Set(globals);
      const want = exact(q, k, v, (i, j) => Math.abs(i - j) <= window || g.has(i) || g.has(j));
      const got = slidingWindowAttention(q, k, v, { window, globalTokens: globals });
      expect(maxAbs(got, want), `window ${window}, globals ${globals}`).toBeLessThan(1e-5);
      tf.dispose([got, want]);
    }
    leakFree(() => slidingWindowAttention(q, k, v, { window: 3, globalTokens: [0, 5] }));
    leakFree(() => slidingWindowAttention(q, k, v, { window: 2 }));
    tf.dispose([q, k, v]);
  });

  it("uses O(n·w) memory: peak grows linearly with n at a fixed window", () => {
    const peak = (n: number) => {
      const [q, k, v] = [randn([n, 16], 111), randn([n, 16], 112), randn([n, 16], 113)];
      const r = measurePeakMemory(() => slidingWindowAttention(q, k, v, { window: 16, globalTokens: [0] }));
      tf.dispose([r.result, q, k, v]);
      return r.peakBytes;
    };
    const ns = [256, 512, 1024];
    const peaks = ns.map(peak);
    expect(fitPowerLaw(ns, peaks).slope).toBeLessThan(1.1);
    expect(peaks[2]).toBeLessThan(1024 * 1024 * 4 / 8);
  });

  it("rejects windows larger than n, bad global positions and cross-attention", () => {
    const [q, k, v] = [randn([2, 6, 4], 121), randn([2, 6, 4], 122), randn([2, 6, 3], 123)];
    expect(() => slidingWindowAttention(q, k, v, { window: 7 })).toThrow(/slidingWindowAttention: argument "options.window" must be an integer in \[0, n\] = \[0, 6\] for q \[2,6,4\], got number 7/);
    expect(() => slidingWindowAttention(q, k, v, { window: -1 })).toThrow(/options.window.*got number -1/);
    expect(() => slidingWindowAttention(q, k, v, { window: 2, globalTokens: [6] })).toThrow(/slidingWindowAttention: argument "options.globalTokens\[0\]" must be an integer in \[0, 5\], got number 6/);
    expect(() => slidingWindowAttention(q, k, v, { window: 2, globalTokens: [1, 1] })).toThrow(/must not repeat a position, got \[1, 1\]/);
    expect(() => slidingWindowAttention(q, randn([2, 5, 4], 124), randn([2, 5, 3], 125), { window: 2 })).toThrow(/slidingWindowAttention: q \[2,6,4\] and k \[2,5,4\] must have the same sequence length/);
    tf.dispose([q, k, v]);
  });
});

describe("sequenceRows (lib/support/ops.ts)", () => {
  it("equals tf.slice along axis −2 for rank 2 and 3, first, middle and last rows, and leaks nothing", () => {
    const x2 = randn([7, 3], 131);
    const x3 = randn([2, 7, 3], 132);
    const before = tf.memory().numTensors;
    for (const [start, size] of [[0, 1], [2, 3], [4, 3], [0, 7]]) {
      const a = sequenceRows(x2, start, size);
      const b = tf.slice(x2, [start, 0], [size, 3]);
      expect(a.shape).toEqual([size, 3]);
      expect(maxAbs(a, b)).toBe(0);
      const c = sequenceRows(x3, start, size);
      const d = tf.slice(x3, [0, start, 0], [2, size, 3]);
      expect(c.shape).toEqual([2, size, 3]);
      expect(maxAbs(c, d)).toBe(0);
      tf.dispose([a, b, c, d]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sequenceRows(x2, 5, 3)).toThrow(/sequenceRows: rows 5 … 7 of x \[7,3\] along axis 0 do not exist/);
    expect(() => sequenceRows(x3, -1, 2)).toThrow(/sequenceRows: rows -1 … 0 of x \[2,7,3\] along axis 1/);
    expect(() => sequenceRows(x2, 0, 0)).toThrow(/sequenceRows/);
    tf.dispose([x2, x3]);
  });
});
