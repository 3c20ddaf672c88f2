/** Support code (not exercises): input checks, seeding, the lib/solutions switch, backend, bench harness (plots: plot.test.ts). */
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { formatTable, median, passed } from "../../bench/harness";
import { setupBackend } from "../../lib/support/backend";
import { LabInputError, requireBroadcastsTo, requireInt, requireTensor } from "../../lib/support/checks";
import { findExercise, NotImplementedYet, todo } from "../../lib/support/exercises";
import { chooseImpl, selectedImpl } from "../../lib/support/impl";
import { batchMatMul } from "../../lib/support/ops";
import { randn, randu } from "../../lib/support/random";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("checks", () => {
  it("requireTensor names function, argument, pattern and shape", () => {
    const x = tf.zeros([2, 3]);
    expect(() => requireTensor("f", "q", 3, { pattern: "[..., T, d]" })).toThrow('f: argument "q" [..., T, d] must be a tf.Tensor, got number 3');
    expect(() => requireTensor("f", "q", x, { rank: 3 })).toThrow('f: argument "q" must have rank 3, got shape [2,3] (rank 2)');
    expect(() => requireTensor("f", "q", x, { minRank: 3 })).toThrow("rank >= 3");
    expect(() => requireTensor("f", "q", tf.zeros([2], "int32"), { dtypes: ["float32"] })).toThrow('must have dtype float32, got int32 (shape [2]); convert with tf.cast(q, "float32")');
    expect(requireTensor("f", "q", x, { rank: 2 })).toBe(x);
    x.dispose();
    expect(() => requireTensor("f", "q", x)).toThrow("already disposed");
    expect(() => requireTensor("f", "q", null)).toThrow(LabInputError);
  });

  it("broadcast helpers follow numpy rules and explain failures", () => {
    expect(() => requireBroadcastsTo("f", "mask", [1, 4], [2, 3, 4], "scores")).not.toThrow();
    expect(() => requireBroadcastsTo("f", "mask", [2, 1, 3, 4], [2, 3, 4], "scores")).toThrow("f: mask [2,1,3,4] does not broadcast to scores [2,3,4]");
    expect(() => requireBroadcastsTo("f", "mask", [3, 3], [2, 3, 4], "scores")).toThrow();
    expect(requireInt("f", "n", 3, 1, 5)).toBe(3);
    expect(() => requireInt("f", "n", 2.5, 1)).toThrow('f: argument "n" must be an integer >= 1, got number 2.5');
  });
});

describe("exercise stubs", () => {
  it("todo() names the notebook, the exercise and the file", () => {
    expect(() => todo("1.2")).toThrow("Exercise 1.2 (notebooks/01-attention.ipynb): implement scaledDotProductAttention in lib/attention.ts");
    expect(() => todo("0.1")).toThrow(NotImplementedYet);
    expect(findExercise("softmax").id).toBe("1.1");
    expect(() => findExercise("9.9")).toThrow(/Unknown exercise "9.9". Known: 0.1 \(dotProductScores\)/);
  });
});

describe("random", () => {
  it("the same seed gives the same numbers; seed 0 is refused", () => {
    expect(randn([5], 42).arraySync()).toEqual(randn([5], 42).arraySync());
    expect(randn([5], 42).arraySync()).not.toEqual(randn([5], 43).arraySync());
    const u = randu([100], 7, -2, 3).arraySync() as number[];
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(() => randn([2], 0)).toThrow("randn: seed must be a non-zero integer (tfjs ignores seed 0), got 0");
  });
});

describe("impl switch", () => {
  it("defaults to lib/, switches to solutions/ with LAB_IMPL, rejects typos", () => {
    const mine = { f: () => "mine" };
    const ref = { f: () => "ref" };
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.stubEnv("LAB_IMPL", "");
    expect(chooseImpl(mine, ref).f()).toBe("mine");
    vi.stubEnv("LAB_IMPL", "solutions");
    expect(chooseImpl(mine, ref, { module: "attention" }).f()).toBe("ref");
    expect(console.log).toHaveBeenLastCalledWith("Using the REFERENCE solutions from solutions/attention.ts (LAB_IMPL=solutions)");
    vi.stubEnv("LAB_IMPL", "solution");
    expect(() => selectedImpl()).toThrow('LAB_IMPL must be "lib" or "solutions", got "solution"');
  });
});

describe("backend", () => {
  it("sets up wasm with SIMD by default and cpu on request, and says so", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const wasm = await setupBackend();
    expect(wasm.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(log.mock.calls[0][0]).toMatch(/^TensorFlow\.js 4\.\d+\.\d+ · backend wasm \(SIMD (on|off), 1 thread\)/);
    const cpu = await setupBackend("cpu", { quiet: true });
    expect(cpu.backend).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    vi.stubEnv("LAB_BACKEND", "gpu");
    await expect(setupBackend()).rejects.toThrow('LAB_BACKEND must be "wasm" or "cpu", got "gpu"');
    await setupBackend("wasm", { quiet: true });
  });
});

describe("bench harness", () => {
  it("median, targets and the table", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const ok = { name: "x", variant: "wasm", value: 10, unit: "ms", target: { op: "<=" as const, value: 20 } };
    const bad = { ...ok, value: 30 };
    expect(passed(ok)).toBe(true);
    expect(passed(bad)).toBe(false);
    expect(passed({ ...ok, target: undefined })).toBeUndefined();
    expect(formatTable([ok, bad])).toMatch(/30\.0 ms.*<= 20 ms\s+MISSED/);
  });
});

describe("ops.batchMatMul", () => {
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

  it("equals tf.matMul with and without transposes, at sizes on and off the SIMD width", () => {
    for (const [m, k, n] of [[64, 64, 64], [4, 5, 6], [1, 9, 17]]) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
        const a = randn([2, 3, ...(ta ? [k, m] : [m, k])], 1);
        const b = randn([2, 3, ...(tb ? [n, k] : [k, n])], 2);
        const got = batchMatMul(a, b, ta, tb);
        const want = tf.matMul(a, b, ta, tb);
        expect(got.shape).toEqual([2, 3, m, n]);
        expect(maxDiff(got, want), `${m}x${k}x${n} ${ta} ${tb}`).toBeLessThan(1e-4);
        tf.dispose([a, b, got, want]);
      }
    }
  });

  it("has the same gradients as tf.matMul and leaks nothing", () => {
    const a = randn([2, 64, 64], 3);
    const b = randn([2, 64, 64], 4);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(batchMatMul(x, y, false, true))))([a, b]);
    const [wa, wb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, false, true))))([a, b]);
    expect(maxDiff(ga, wa)).toBeLessThan(1e-3);
    expect(maxDiff(gb, wb)).toBeLessThan(1e-3);
    tf.dispose(batchMatMul(a, b));
    const before = tf.memory().numTensors;
    tf.dispose(batchMatMul(a, b));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, ga, gb, wa, wb]);
  });

  it("is right when one buffer is the right operand under two shapes (tfjs-wasm's own 2-D matMul is not)", () => {
    // XNNPACK's operator cache in tfjs-wasm is keyed by the right operand's buffer, not its shape.
    const flat = randn([64], 5);
    const a1 = randn([3, 8], 6);
    const a2 = randn([3, 4], 7);
    const reference = (a: tf.Tensor, rows: number, cols: number) => {
      const av = a.arraySync() as number[][];
      const bv = Array.from(flat.dataSync());
      return av.map((row) => Array.from({ length: cols }, (_, j) => row.reduce((s, x, i) => s + x * bv[i * cols + j], 0)));
    };
    const err = (got: tf.Tensor, want: number[][]) => Math.max(...(got.arraySync() as number[][]).flat().map((x, i) => Math.abs(x - want.flat()[i])));
    const ours = [batchMatMul(a1, flat.reshape([8, 8])), batchMatMul(a2, flat.reshape([4, 16]))];
    expect(err(ours[0], reference(a1, 8, 8))).toBeLessThan(1e-5);
    expect(err(ours[1], reference(a2, 4, 16))).toBeLessThan(1e-5);
    const plain = [tf.matMul(a1, flat.reshape([8, 8])), tf.matMul(a2, flat.reshape([4, 16]))];
    // If this ever passes, tfjs fixed the cache: update the README's performance notes.
    expect(err(plain[1], reference(a2, 4, 16))).toBeGreaterThan(1e-3);
    tf.dispose([flat, a1, a2, ...ours, ...plain]);
  });

  it("explains mismatched shapes", () => {
    const a = tf.zeros([2, 3, 4]);
    expect(() => batchMatMul(a, tf.zeros([2, 5, 6]))).toThrow("batchMatMul: inner dimensions differ: a [2,3,4] · b [2,5,6] (4 vs 5)");
    expect(() => batchMatMul(a, tf.zeros([3, 4, 6]))).toThrow("same leading dims");
  });
});
