/**
 * Notebook 09's measuring kit (lib/support/architectures.ts): the convolutions against loops
 * written out by hand, the kernel-n convolution against its matrix, receptive fields read from
 * gradients against the formulas, counted multiply-adds against the textbook counts, the
 * equivariance test, bad input, and no leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { relErr } from "./compare";
import {
  conv1dLayer, convAsMatrix, convLayersNeeded, countKernels, dilatedLayersNeeded, gradientReach, layerMacs, mixingMatrix,
  newConvParams, pathLength, permutationMismatch, timeIt, type ConvParams, type SeqLayer,
} from "../../lib/support/architectures";
import { setupBackend } from "../../lib/support/backend";
import { countParameters, disposeParams, newMultiHeadParams, SeedSequence } from "../../lib/support/models/params";
import { gruLayer, newGruParams } from "../../lib/support/models/rnn";
import { multiHeadAttention } from "../../solutions/multihead";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

/** y_i = Σ_t x[src(i, t)] · w_t + b, by loops over plain arrays (src returns −1 for a zero). */
function byHand(p: ConvParams, x: tf.Tensor, src: (i: number, t: number, n: number) => number): number[][][] {
  const xs = x.arraySync() as number[][][];
  const w = p.w.arraySync() as number[][][];
  const b = p.b ? (p.b.arraySync() as number[]) : undefined;
  const [k, dIn, dOut] = p.w.shape;
  return xs.map((seq) => seq.map((_, i) => Array.from({ length: dOut }, (_, c) => {
    let s = b ? b[c] : 0;
    for (let t = 0; t < k; t++) {
      const j = src(i, t, seq.length);
      if (j >= 0) for (let e = 0; e < dIn; e++) s += seq[j][e] * w[t][e][c];
    }
    return s;
  })));
}

function withBias(p: ConvParams, seed: number): ConvParams {
  return { w: p.w, b: tf.randomNormal([p.w.shape[2] as number], 0, 0.5, "float32", seed) };
}

describe("conv1dLayer", () => {
  it("causal, dilations 1 and 3: tap t reads x_{i − t·dilation}, zeros before the start", () => {
    const before = tf.memory().numTensors;
    const p = withBias(newConvParams(3, 4, 5, new SeedSequence(3), { bias: false }), 9);
    const x = tf.randomNormal([2, 9, 4], 0, 1, "float32", 4);
    for (const dilation of [1, 3]) {
      const y = conv1dLayer(p, x, { dilation });
      expect(y.shape).toEqual([2, 9, 5]);
      const expected = tf.tensor(byHand(p, x, (i, t) => i - t * dilation));
      expect(relErr(y, expected)).toBeLessThan(1e-5);
      // second call, same arguments: same numbers, a separate tensor
      const again = conv1dLayer(p, x, { dilation });
      expect(again).not.toBe(y);
      expect(relErr(again, y)).toBe(0);
      tf.dispose([y, again, expected]);
    }
    tf.dispose([x]);
    disposeParams(p);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("circular with kernel = n: every output reads every input once, and equals x·convAsMatrix", () => {
    const before = tf.memory().numTensors;
    const n = 6;
    const p = newConvParams(n, 3, 2, new SeedSequence(5), { bias: false });
    const x = tf.randomNormal([2, n, 3], 0, 1, "float32", 6);
    const y = conv1dLayer(p, x, { padding: "circular" });
    const expected = tf.tensor(byHand(p, x, (i, t, len) => (i + t) % len));
    expect(relErr(y, expected)).toBeLessThan(1e-5);
    const m = convAsMatrix(p, n);
    expect(m.shape).toEqual([n * 3, n * 2]);
    const viaMatrix = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(x, [2, n * 3]), m), [2, n, 2]));
    expect(relErr(viaMatrix, y)).toBeLessThan(1e-5);
    tf.dispose([x, y, m, viaMatrix, expected]);
    disposeParams(p);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("inside a caller's tf.tidy, and leaves its arguments intact", () => {
    const p = newConvParams(2, 3, 3, new SeedSequence(8));
    const x = tf.randomNormal([1, 5, 3], 0, 1, "float32", 8);
    const copy = x.arraySync();
    const kept = tf.tidy(() => conv1dLayer(p, x, { padding: "circular", dilation: 2 }));
    expect(kept.isDisposed).toBe(false);
    expect(x.arraySync()).toEqual(copy);
    tf.dispose([x, kept]);
    disposeParams(p);
  });

  it("bad input: names the function, the argument and the shapes", () => {
    const p = newConvParams(3, 4, 2, new SeedSequence(2));
    const x = tf.zeros([1, 5, 3]);
    expect(() => conv1dLayer(p, x)).toThrow(/conv1dLayer.*x.*1,5,3.*dIn = 4/);
    expect(() => conv1dLayer(p, tf.zeros([5, 4]))).toThrow(/conv1dLayer.*x/);
    expect(() => conv1dLayer(p, tf.zeros([1, 2, 4]), { padding: "circular" })).toThrow(/conv1dLayer.*k = 3.*n = 2/);
    expect(() => conv1dLayer(p, tf.zeros([1, 5, 4]), { dilation: 0 })).toThrow(/conv1dLayer.*dilation/);
    expect(() => conv1dLayer({ w: p.w, b: tf.zeros([3]) }, tf.zeros([1, 5, 4]))).toThrow(/conv1dLayer.*params\.b.*\[3\].*\[2\]/);
    disposeParams(p);
  });
});

describe("dependence read from gradients", () => {
  const d = 4;
  const made: ConvParams[] = []; // every stack's weights, disposed after each test
  afterEach(() => disposeParams(made.splice(0)));
  const convStack = (k: number, dilated: boolean) => (layers: number): SeqLayer => {
    const ps = Array.from({ length: layers }, (_, l) => newConvParams(k, d, d, new SeedSequence(20 + l)));
    made.push(...ps);
    return (x) => ps.reduce((h, p, l) => conv1dLayer(p, h, { dilation: dilated ? 2 ** l : 1 }), x);
  };

  it("the last output of causal convolutions reaches back (k − 1) positions per layer, exactly zero beyond", () => {
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([1, 10, d], 0, 1, "float32", 3);
    for (const layers of [1, 2, 3]) {
      const reach = gradientReach(convStack(3, false)(layers), x);
      const first = 9 - 2 * layers; // earliest position reached
      reach.forEach((g, j) => (j >= first ? expect(g).toBeGreaterThan(0) : expect(g).toBe(0)));
    }
    x.dispose();
    disposeParams(made.splice(0));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("pathLength matches the formulas: ⌈(n−1)/(k−1)⌉ plain, ⌈log₂ n⌉ dilated, 1 for attention", () => {
    for (const n of [5, 8, 13]) {
      expect(pathLength(convStack(3, false), n, d, 8)).toBe(convLayersNeeded(n, 3));
      expect(pathLength(convStack(2, true), n, d, 8)).toBe(dilatedLayersNeeded(n));
    }
    expect(convLayersNeeded(13, 3)).toBe(6);
    expect(dilatedLayersNeeded(13)).toBe(4);
    const att = newMultiHeadParams(d, 2, new SeedSequence(4));
    expect(pathLength(() => (x) => multiHeadAttention(att, x, x).output, 16, d, 3)).toBe(1);
    expect(pathLength(convStack(3, false), 13, d, 3)).toBeNull();
    disposeParams(att);
  });

  it("mixingMatrix: a convolution's is the same for every input and is the block norms of its matrix; attention's is not", () => {
    const n = 5;
    const conv = newConvParams(n, d, d, new SeedSequence(30), { bias: false });
    const att = newMultiHeadParams(d, 1, new SeedSequence(31));
    const x1 = tf.randomNormal([1, n, d], 0, 1, "float32", 1);
    const x2 = tf.randomNormal([1, n, d], 0, 1, "float32", 2);
    const before = tf.memory().numTensors;
    const convLayer: SeqLayer = (x) => conv1dLayer(conv, x, { padding: "circular" });
    const c1 = mixingMatrix(convLayer, x1), c2 = mixingMatrix(convLayer, x2);
    const blockNorms = tf.tidy(() => {
      const m = convAsMatrix(conv, n); // [n·d, n·d], block (j, i) carries input j to output i
      return tf.transpose(tf.norm(tf.reshape(tf.transpose(tf.reshape(m, [n, d, n, d]), [0, 2, 1, 3]), [n, n, d * d]), "euclidean", 2)).arraySync() as number[][];
    });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      expect(Math.abs(c1[i][j] - c2[i][j])).toBeLessThan(1e-5);
      expect(Math.abs(c1[i][j] - blockNorms[i][j])).toBeLessThan(1e-4);
    }
    const attLayer: SeqLayer = (x) => multiHeadAttention(att, x, x).output;
    const a1 = mixingMatrix(attLayer, x1), a2 = mixingMatrix(attLayer, x2);
    expect(Math.max(...a1.flatMap((r, i) => r.map((v, j) => Math.abs(v - a2[i][j]))))).toBeGreaterThan(0.05);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x1, x2]);
    disposeParams([conv, att]);
  });

  it("permutationMismatch: rounding for attention, large for a convolution", () => {
    const att = newMultiHeadParams(d, 2, new SeedSequence(40));
    const conv = newConvParams(6, d, d, new SeedSequence(41));
    const x = tf.randomNormal([2, 6, d], 0, 1, "float32", 5);
    const perm = [3, 0, 5, 1, 4, 2];
    expect(permutationMismatch((h) => multiHeadAttention(att, h, h).output, x, perm)).toBeLessThan(1e-5);
    expect(permutationMismatch((h) => conv1dLayer(conv, h, { padding: "circular" }), x, perm)).toBeGreaterThan(0.1);
    expect(() => permutationMismatch((h) => h, x, [0, 1, 2])).toThrow(/permutationMismatch.*perm.*n = 6/);
    expect(() => permutationMismatch((h) => h, x, [0, 1, 2, 3, 4, 4])).toThrow(/permutationMismatch.*perm/);
    tf.dispose(x);
    disposeParams([att, conv]);
  });

  it("bad layers are named", () => {
    const x = tf.zeros([1, 4, 2]);
    expect(() => gradientReach("nope" as unknown as SeqLayer, x)).toThrow(/gradientReach: layer must be a function/);
    expect(() => gradientReach((h) => tf.sum(h, 1), x)).toThrow(/gradientReach: the layer must return \[B, n, d'\]/);
    expect(() => mixingMatrix((h) => h, tf.zeros([2, 4, 2]))).toThrow(/mixingMatrix: x must hold one sequence.*2,4,2/);
    x.dispose();
  });
});

describe("counting and timing", () => {
  it("counted multiply-adds equal the textbook counts for attention, the GRU and convolutions", async () => {
    const seeds = new SeedSequence(50);
    for (const [n, d] of [[8, 16], [24, 8]]) {
      const att = newMultiHeadParams(d, 2, seeds);
      const gru = newGruParams(d, d, seeds);
      const conv = newConvParams(3, d, d, seeds);
      const convN = newConvParams(n, d, d, seeds);
      const x = tf.randomNormal([1, n, d], 0, 1, "float32", 6);
      const before = tf.memory().numTensors;
      expect((await countKernels(() => multiHeadAttention(att, x, x).output)).macs).toBe(layerMacs("attention", n, d));
      expect((await countKernels(() => gruLayer(gru, x).states)).macs).toBe(layerMacs("gru", n, d));
      expect((await countKernels(() => conv1dLayer(conv, x))).macs).toBe(layerMacs("conv", n, d, 3));
      expect((await countKernels(() => conv1dLayer(convN, x, { padding: "circular" }))).macs).toBe(layerMacs("conv", n, d, n));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      disposeParams([att, gru, conv, convN]);
    }
    expect(layerMacs("attention", 64, 64)).toBe(layerMacs("gru", 64, 64)); // the crossover at n = d
  });

  it("the GRU runs more kernels for a longer sequence, attention and convolutions the same number", async () => {
    const seeds = new SeedSequence(60);
    const d = 8;
    const att = newMultiHeadParams(d, 2, seeds);
    const gru = newGruParams(d, d, seeds);
    const conv = newConvParams(3, d, d, seeds);
    const kernels = async (n: number) => {
      const x = tf.randomNormal([1, n, d], 0, 1, "float32", 7);
      const out = [
        (await countKernels(() => multiHeadAttention(att, x, x).output)).kernels,
        (await countKernels(() => gruLayer(gru, x).states)).kernels,
        (await countKernels(() => conv1dLayer(conv, x))).kernels,
      ];
      x.dispose();
      return out;
    };
    const [a8, g8, c8] = await kernels(8);
    const [a16, g16, c16] = await kernels(16);
    expect(a16).toBe(a8);
    expect(c16).toBe(c8);
    expect(g16 - g8).toBeGreaterThanOrEqual(8 * 3); // at least a few kernels per extra step
    disposeParams([att, gru, conv]);
  });

  it("timeIt reports positive medians and disposes what the call returns", () => {
    const x = tf.randomNormal([1, 16, 8], 0, 1, "float32", 8);
    const before = tf.memory().numTensors;
    const t = timeIt(() => ({ a: tf.matMul(x, x, false, true), b: [tf.add(x, 1)] }), { repeats: 3, warmup: 1 });
    expect(t.wallMs).toBeGreaterThan(0);
    expect(t.cpuMs).toBeGreaterThanOrEqual(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => timeIt(() => x, { repeats: 0 })).toThrow(/timeIt.*repeats/);
    x.dispose();
  });

  it("parameters: attention's do not depend on n, the kernel-n convolution's grow with n", () => {
    const d = 8;
    const att = newMultiHeadParams(d, 2, new SeedSequence(70));
    expect(countParameters(att)).toBe(4 * d * d + 4 * d);
    for (const n of [4, 16]) {
      const conv = newConvParams(n, d, d, new SeedSequence(71));
      expect(countParameters(conv)).toBe(n * d * d + d);
      disposeParams(conv);
    }
    disposeParams(att);
  });
});
