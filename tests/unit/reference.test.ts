/**
 * The reference solutions checked against an independent, loop-by-loop computation in plain
 * JavaScript (the grader trusts solutions/, so solutions/ must earn that trust here).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { randn } from "../../lib/support/random";
import { dotProductScores } from "../../solutions/tensors";
import { causalMask, paddingMask, scaledDotProductAttention, softmax } from "../../solutions/attention";

type M = number[][];

function naiveSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** softmax(q kᵀ / sqrt(dk)) v for one batch element, mask 1 = attend; fully masked rows → 0. */
function naiveAttention(q: M, k: M, v: M, mask?: M): { output: M; weights: M } {
  const dk = q[0].length;
  const weights = q.map((qi, i) => {
    const scores = k.map((kj) => qi.reduce((s, x, c) => s + x * kj[c], 0) / Math.sqrt(dk));
    const allowed = scores.map((_, j) => (mask ? mask[i][j] !== 0 : true));
    if (!allowed.some(Boolean)) return scores.map(() => 0);
    const kept = scores.filter((_, j) => allowed[j]);
    const p = naiveSoftmaxRow(kept);
    let n = 0;
    return allowed.map((a) => (a ? p[n++] : 0));
  });
  const output = weights.map((w) => v[0].map((_, c) => w.reduce((s, wj, j) => s + wj * v[j][c], 0)));
  return { output, weights };
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

describe("solutions/attention", () => {
  it("scaledDotProductAttention matches the naive loops, batched, with and without masks", () => {
    const [B, Tq, Tk, dk, dv] = [3, 4, 6, 5, 7];
    const q = randn([B, Tq, dk], 1);
    const k = randn([B, Tk, dk], 2);
    const v = randn([B, Tk, dv], 3);
    const qa = q.arraySync() as M[];
    const ka = k.arraySync() as M[];
    const va = v.arraySync() as M[];
    // A mask with one fully blocked row in batch 1, random elsewhere.
    const maskArr: M[] = Array.from({ length: B }, (_, b) =>
      Array.from({ length: Tq }, (_, i) => Array.from({ length: Tk }, (_, j) => (b === 1 && i === 2 ? 0 : (i * 7 + j * 3 + b) % 4 === 0 ? 0 : 1))),
    );
    const mask = tf.tensor3d(maskArr);
    for (const useMask of [false, true]) {
      const r = scaledDotProductAttention(q, k, v, useMask ? mask : undefined);
      expect(r.output.shape).toEqual([B, Tq, dv]);
      expect(r.weights.shape).toEqual([B, Tq, Tk]);
      const out = r.output.arraySync() as M[];
      const w = r.weights.arraySync() as M[];
      for (let b = 0; b < B; b++) {
        const ref = naiveAttention(qa[b], ka[b], va[b], useMask ? maskArr[b] : undefined);
        expect(maxAbsDiff(w[b].flat(), ref.weights.flat())).toBeLessThan(1e-5);
        expect(maxAbsDiff(out[b].flat(), ref.output.flat())).toBeLessThan(1e-5);
      }
      tf.dispose([r.output, r.weights]);
    }
    tf.dispose([q, k, v, mask]);
  });

  it("a fully masked row gets zero weights and zero output; others still sum to 1", () => {
    const q = randn([1, 3, 4], 5);
    const mask = tf.tensor2d([[1, 1, 0], [0, 0, 0], [1, 0, 0]]);
    const r = scaledDotProductAttention(q, q, q, mask);
    const w = r.weights.arraySync() as M[];
    expect(w[0][1]).toEqual([0, 0, 0]);
    expect((r.output.arraySync() as M[])[0][1]).toEqual([0, 0, 0, 0]);
    expect(w[0][0][0] + w[0][0][1]).toBeCloseTo(1, 6);
    expect(w[0][0][2]).toBe(0);
    tf.dispose([q, mask, r.output, r.weights]);
  });

  it("works without batch dims and with two batch dims (heads)", () => {
    const q2 = randn([4, 8], 7);
    const r2 = scaledDotProductAttention(q2, q2, q2, causalMask(4));
    expect(r2.weights.shape).toEqual([4, 4]);
    const q4 = randn([2, 3, 5, 8], 8);
    const r4 = scaledDotProductAttention(q4, q4, q4, paddingMask([5, 2], 5).reshape([2, 1, 1, 5]));
    expect(r4.output.shape).toEqual([2, 3, 5, 8]);
    const w = r4.weights.arraySync() as M[][];
    expect(w[1][2][4].slice(2)).toEqual([0, 0, 0]);
    tf.dispose([q2, q4, r2.output, r2.weights, r4.output, r4.weights]);
  });

  it("softmax is stable at ±1e4, sums to 1 along the axis, and respects axis", () => {
    const x = tf.tensor2d([[1e4, -1e4, 0], [1e4, 1e4, 1e4]]);
    const s = softmax(x).arraySync() as M;
    expect(s.flat().every(Number.isFinite)).toBe(true);
    expect(s[0]).toEqual([1, 0, 0]);
    s[1].forEach((p) => expect(p).toBeCloseTo(1 / 3, 6));
    const y = randn([3, 4], 9);
    const s0 = softmax(y, 0).arraySync() as M;
    const cols = s0[0].map((_, j) => s0.reduce((a, r) => a + r[j], 0));
    cols.forEach((c) => expect(c).toBeCloseTo(1, 5));
    const ya = y.arraySync() as M;
    expect(maxAbsDiff((softmax(y).arraySync() as M).flat(), ya.map(naiveSoftmaxRow).flat())).toBeLessThan(1e-6);
    tf.dispose([x, y]);
  });

  it("masks have the documented shapes and values", () => {
    expect(causalMask(3).arraySync()).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    expect(causalMask(3).dtype).toBe("float32");
    const p = paddingMask([0, 2, 3], 3);
    expect(p.shape).toEqual([3, 1, 3]);
    expect(p.arraySync()).toEqual([[[0, 0, 0]], [[1, 1, 0]], [[1, 1, 1]]]);
  });

  it("dotProductScores equals the naive double loop", () => {
    const q = randn([2, 3, 4], 21);
    const k = randn([2, 5, 4], 22);
    const got = (dotProductScores(q, k).arraySync() as M[]).flat(2);
    const qa = q.arraySync() as M[];
    const ka = k.arraySync() as M[];
    const want = qa.flatMap((qb, b) => qb.flatMap((qi) => ka[b].map((kj) => qi.reduce((s, x, c) => s + x * kj[c], 0))));
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    tf.dispose([q, k]);
  });

  it("leaks no tensors (on success and on the error path) and does not dispose inputs", () => {
    const q = randn([2, 4, 8], 31);
    const mask = causalMask(4);
    const calls: (() => tf.TensorContainer)[] = [
      () => softmax(q),
      () => ({ ...scaledDotProductAttention(q, q, q, mask) }),
      () => causalMask(5),
      () => paddingMask([1, 4], 4),
      () => dotProductScores(q, q),
    ];
    for (const call of calls) {
      tf.dispose(call());
      const before = tf.memory().numTensors;
      tf.dispose(call());
      expect(tf.memory().numTensors).toBe(before);
    }
    const before = tf.memory().numTensors;
    expect(() => scaledDotProductAttention(q, q, q, tf.ones([3, 3]))).toThrow();
    expect(tf.memory().numTensors).toBe(before + 1); // only the ones([3,3]) created by the test itself
    expect(q.isDisposed).toBe(false);
    tf.dispose([q, mask]);
  });

  it("bad input gets errors naming the function, the argument and the shapes", () => {
    const q = tf.zeros([2, 5, 8]);
    const k = tf.zeros([2, 6, 4]);
    const k8 = tf.zeros([2, 6, 8]);
    const v7 = tf.zeros([2, 7, 3]);
    const m = tf.ones([5, 5]);
    expect(() => scaledDotProductAttention(q, k, k)).toThrow(/scaledDotProductAttention: q \[2,5,8\] and k \[2,6,4\].*d_k/);
    expect(() => scaledDotProductAttention(q, k8, v7)).toThrow(/scaledDotProductAttention: v \[2,7,3\].*Tk = 6/);
    expect(() => scaledDotProductAttention(q, k8, k8, m)).toThrow(/scaledDotProductAttention: mask \[5,5\] does not broadcast to the scores \[\.\.\., Tq, Tk\] \[2,5,6\]/);
    expect(() => scaledDotProductAttention([[1]] as unknown as tf.Tensor, k8, k8)).toThrow(/argument "q".*must be a tf\.Tensor, got an array/);
    expect(() => scaledDotProductAttention(tf.zeros([2, 5, 8], "int32"), k8, k8)).toThrow(/dtype float32.*got int32/);
    expect(() => softmax(q, 3)).toThrow(/softmax: argument "axis"/);
    expect(() => causalMask(0)).toThrow(/causalMask: argument "n" must be an integer >= 1, got number 0/);
    expect(() => paddingMask([1, 7], 5)).toThrow(/paddingMask: argument "lengths\[1\]" must be an integer in \[0, 5\], got number 7/);
    expect(() => dotProductScores(q, k)).toThrow(/dotProductScores: q \[2,5,8\] and k \[2,6,4\]/);
    tf.dispose([q, k, k8, v7, m]);
  });
});
