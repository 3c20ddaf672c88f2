/**
 * Notebook 07's reference solutions (solutions/vit.ts) and the ViT model family
 * (lib/support/models/vit.ts):
 * - against PyTorch (tests/fixtures/vit.json, see make_vit_fixtures.py): F.unfold's patches, an
 *   nn.Conv2d patch embedding, a whole ViT's logits and attention;
 * - the patch embedding equals tf.conv2d with kernel = stride = p on the same weights;
 * - bad input gets errors naming the function, the argument and the shapes;
 * - the fast path agrees with the exercise functions on injected weights (logits, attention,
 *   loss, gradients); nothing leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { crossEntropy as fastCrossEntropy } from "../../lib/support/fast/ops";
import { countParameters, variablesOf } from "../../lib/support/models/params";
import { clsAttentionGrid, createVit, disposeVit, namedVitVariables, numPatches, positionSimilarity, VIT_MNIST_CONFIG, VitConfig, vitForwardFast, vitForwardFrom, vitVariables } from "../../lib/support/models/vit";
import { crossEntropy } from "../../lib/support/train";
import * as vit from "../../solutions/vit";
import { extractPatches, patchEmbed, prependClsAndPositions, vitForward, type VitParams } from "../../solutions/vit";
import { toTensor, toTensors, type JsonTensor } from "../fixtures/pytorch";
import { loadVitFixtures } from "../fixtures/vit";
import { relErr } from "./compare";

const fx = loadVitFixtures();

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

/** Largest |got − expected| (shapes must agree). */
function maxAbsDiff(got: tf.Tensor, expected: JsonTensor | tf.Tensor): number {
  const e = expected instanceof tf.Tensor ? { shape: expected.shape, data: Array.from(expected.dataSync()) } : expected;
  expect(got.shape).toEqual(e.shape);
  const g = got.dataSync();
  return e.data.reduce((m, v, i) => Math.max(m, Math.abs(g[i] - v)), 0);
}

/** Counts tensors left behind by the second call of f (the first warms caches). */
function leakedBy(f: () => void): number {
  f();
  const before = tf.memory().numTensors;
  f();
  return tf.memory().numTensors - before;
}

const images = (shape: number[], seed: number) => tf.randomUniform(shape, 0, 1, "float32", seed);

describe("7.1 extractPatches", () => {
  it("the fixtures were made by PyTorch and cover channels, non-square images and p = 1", () => {
    expect(fx.meta.torch).toMatch(/^\d+\.\d+/);
    expect(fx.extractPatches.length).toBeGreaterThanOrEqual(5);
    expect(fx.extractPatches.some((c) => c.images.shape[3] > 1)).toBe(true);
    expect(fx.extractPatches.some((c) => c.images.shape[1] !== c.images.shape[2])).toBe(true);
  });

  it.each(fx.extractPatches.map((c) => [c.name, c] as const))("equals PyTorch's F.unfold, channels moved last: %s", (_n, c) => {
    // Both sides are the same decimals read into float32: a permutation must match exactly.
    tf.tidy(() => {
      expect(maxAbsDiff(extractPatches(toTensor(c.images), c.patchSize), toTensor(c.patches))).toBe(0);
    });
  });

  it("patch 0 is the top-left square, patch 1 the one to its right, patch N/rows the one below", () => {
    tf.tidy(() => {
      // Pixel value = 100·row + column, so every patch says where it came from.
      const img = tf.tensor4d(Array.from({ length: 36 }, (_, i) => 100 * Math.floor(i / 6) + (i % 6)), [1, 6, 6, 1]);
      const p = extractPatches(img, 2).arraySync() as number[][][];
      expect(p[0].length).toBe(9);
      expect(p[0][0]).toEqual([0, 1, 100, 101]);
      expect(p[0][1]).toEqual([2, 3, 102, 103]);
      expect(p[0][3]).toEqual([200, 201, 300, 301]);
      expect(p[0][8]).toEqual([404, 405, 504, 505]);
    });
  });

  it("keeps the channels of one pixel together, in (row, column, channel) order", () => {
    tf.tidy(() => {
      const img = tf.tensor4d(Array.from({ length: 2 * 2 * 3 }, (_, i) => i), [1, 2, 2, 3]); // pixel k has channels 3k, 3k+1, 3k+2
      expect(extractPatches(img, 2).arraySync()).toEqual([[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]]);
    });
  });

  it("rejects bad images and patch sizes with the function, the argument and the shapes", () => {
    const x = images([2, 28, 28, 1], 1);
    expect(() => extractPatches(x, 5)).toThrow(/extractPatches: patchSize = 5 does not divide the image height H = 28 of images \[2,28,28,1\].*1, 2, 4, 7, 14, 28/);
    const wide = images([1, 8, 12, 1], 2);
    expect(() => extractPatches(wide, 3)).toThrow(/extractPatches: patchSize = 3 does not divide the image height H = 8/);
    expect(() => extractPatches(images([1, 12, 8, 1], 2), 3)).toThrow(/does not divide the image width W = 8 of images \[1,12,8,1\]/);
    expect(() => extractPatches(x, 0)).toThrow(/extractPatches: argument "patchSize" must be an integer >= 1, got number 0/);
    expect(() => extractPatches(x, 2.5)).toThrow(/extractPatches: argument "patchSize"/);
    expect(() => extractPatches(tf.zeros([2, 28, 28]), 7)).toThrow(/extractPatches: argument "images" \[B, H, W, C\] must have rank 4, got shape \[2,28,28\].*tf\.expandDims\(images, -1\)/);
    expect(() => extractPatches(tf.zeros([28, 28]), 7)).toThrow(/extractPatches: argument "images" \[B, H, W, C\] must have rank 4, got shape \[28,28\]/);
    expect(() => extractPatches(tf.zeros([1, 28, 28, 1], "int32"), 7)).toThrow(/extractPatches: argument "images" \[B, H, W, C\] must have dtype float32, got int32/);
    const bad = tf.tidy(() => tf.concat([tf.zeros([1, 3, 4, 2]), tf.fill([1, 1, 4, 2], NaN)], 1));
    expect(() => extractPatches(bad, 2)).toThrow(/extractPatches: images \[1,4,4,2\] holds 8 non-finite value\(s\) \(NaN or ±Infinity\), the first at \[0, 3, 0, 0\]/);
    const inf = tf.tidy(() => tf.where(tf.equal(tf.range(0, 16).reshape([1, 4, 4, 1]), 5), tf.fill([1, 4, 4, 1], Infinity), tf.zeros([1, 4, 4, 1])));
    expect(() => extractPatches(inf, 2)).toThrow(/holds 1 non-finite value\(s\).*the first at \[0, 1, 1, 0\]/);
    tf.dispose([x, wide, bad, inf]);
  });

  it("leaves no tensors behind, leaves its input alone, and repeats itself", () => {
    const x = images([3, 8, 8, 2], 3);
    const copy = x.clone();
    expect(leakedBy(() => tf.dispose(extractPatches(x, 4)))).toBe(0);
    tf.tidy(() => {
      expect(maxAbsDiff(extractPatches(x, 4), extractPatches(x, 4))).toBe(0);
      expect(maxAbsDiff(x, copy)).toBe(0);
    });
    tf.dispose([x, copy]);
  });
});

describe("7.2 patchEmbed", () => {
  it.each(fx.patchEmbed.map((c) => [c.name, c] as const))("patchEmbed(extractPatches(x)) equals PyTorch's %s", (_n, c) => {
    tf.tidy(() => {
      const params = toTensors(c.params) as vit.PatchEmbedParams;
      expect(maxAbsDiff(patchEmbed(params, extractPatches(toTensor(c.images), c.patchSize)), c.output)).toBeLessThan(1e-5);
    });
  });

  it("equals tf.conv2d with kernel = stride = p on the same weights (w reshaped to [p, p, C, d])", () => {
    for (const [b, h, w, c, p, d] of [[2, 28, 28, 1, 7, 16], [3, 12, 8, 3, 4, 5], [1, 6, 6, 2, 1, 3]]) {
      tf.tidy(() => {
        const x = images([b, h, w, c], 10 + p);
        const params = { w: tf.randomNormal([p * p * c, d], 0, 0.5, "float32", 20 + p), b: tf.randomNormal([d], 0, 0.5, "float32", 30 + p) };
        const viaPatches = patchEmbed(params, extractPatches(x, p)); // [B, N, d]
        const viaConv = tf.add(tf.conv2d(x as tf.Tensor4D, tf.reshape(params.w, [p, p, c, d]) as tf.Tensor4D, p, "valid"), params.b); // [B, H/p, W/p, d]
        expect(viaConv.shape).toEqual([b, h / p, w / p, d]);
        expect(relErr(viaPatches, tf.reshape(viaConv, [b, (h / p) * (w / p), d]))).toBeLessThan(1e-5);
      });
    }
  });

  it("rejects weights that do not fit the patches", () => {
    tf.tidy(() => {
      const patches = images([2, 16, 49], 4);
      expect(() => patchEmbed({ w: tf.zeros([48, 8]), b: tf.zeros([8]) }, patches)).toThrow(/patchEmbed: params\.w \[48,8\] must have P = 49 rows, the length of one patch of patches \[2,16,49\]/);
      expect(() => patchEmbed({ w: tf.zeros([49, 8]), b: tf.zeros([7]) }, patches)).toThrow(/patchEmbed: params\.b \[7\] must be \[d\] = \[8\]/);
      expect(() => patchEmbed({ w: tf.zeros([49, 8]), b: tf.zeros([8]) }, images([2, 7, 7, 1], 5))).toThrow(/patchEmbed: argument "patches" \[B, N, P\] must have rank 3, got shape \[2,7,7,1\]/);
      expect(() => patchEmbed(undefined as unknown as vit.PatchEmbedParams, patches)).toThrow(/patchEmbed: argument "params" must be an object with w \[P, d\] and b \[d\]/);
    });
  });
});

describe("7.3 prependClsAndPositions", () => {
  it("row 0 is cls + positions[0], row i is tokens[i − 1] + positions[i], for every image", () => {
    tf.tidy(() => {
      const tokens = tf.randomNormal([3, 4, 6], 0, 1, "float32", 6);
      const params = { cls: tf.randomNormal([6], 0, 1, "float32", 7), positions: tf.randomNormal([5, 6], 0, 1, "float32", 8) };
      const out = prependClsAndPositions(params, tokens);
      expect(out.shape).toEqual([3, 5, 6]);
      for (let b = 0; b < 3; b++) {
        const row0 = tf.reshape(tf.slice(out, [b, 0, 0], [1, 1, 6]), [6]);
        expect(maxAbsDiff(row0, tf.add(params.cls, tf.slice(params.positions, [0, 0], [1, 6]).reshape([6])))).toBeLessThan(1e-6);
        const rest = tf.reshape(tf.slice(out, [b, 1, 0], [1, 4, 6]), [4, 6]);
        expect(maxAbsDiff(rest, tf.add(tf.reshape(tf.slice(tokens, [b, 0, 0], [1, 4, 6]), [4, 6]), tf.slice(params.positions, [1, 0], [4, 6])))).toBeLessThan(1e-6);
      }
    });
  });

  it("rejects a [CLS] or position table of the wrong shape", () => {
    tf.tidy(() => {
      const tokens = tf.zeros([2, 16, 8]);
      expect(() => prependClsAndPositions({ cls: tf.zeros([8]), positions: tf.zeros([16, 8]) }, tokens)).toThrow(/prependClsAndPositions: params\.positions \[16,8\] must be \[N \+ 1, d\] = \[17,8\] for tokens \[2,16,8\] \(one row per patch plus one for \[CLS\]\)/);
      expect(() => prependClsAndPositions({ cls: tf.zeros([1, 1, 8]), positions: tf.zeros([17, 8]) }, tokens)).toThrow(/prependClsAndPositions: params\.cls \[1,1,8\] must be \[d\] = \[8\]/);
      expect(() => prependClsAndPositions({ cls: tf.zeros([8]), positions: tf.zeros([17, 4]) }, tokens)).toThrow(/params\.positions \[17,4\] must be \[N \+ 1, d\] = \[17,8\]/);
      expect(() => prependClsAndPositions({ cls: tf.zeros([8]), positions: tf.zeros([17, 8]) }, tf.zeros([16, 8]))).toThrow(/prependClsAndPositions: argument "tokens" \[B, N, d\] must have rank 3/);
    });
  });
});

describe("7.4 vitForward", () => {
  it.each(fx.vitForward.map((c) => [c.name, c] as const))("equals a PyTorch ViT (nn.Conv2d + nn.TransformerEncoderLayer, norm_first): %s", (_n, c) => {
    tf.tidy(() => {
      const params = toTensors(c.params) as VitParams;
      const r = vitForward(params, toTensor(c.images));
      expect(maxAbsDiff(r.logits, c.logits)).toBeLessThan(1e-5);
      expect(r.attention.length).toBe(c.attention.length);
      r.attention.forEach((a, i) => expect(maxAbsDiff(a, c.attention[i]), `layer ${i}`).toBeLessThan(1e-5));
    });
  });

  it("says where bad input went wrong", () => {
    const params = createVit({ ...VIT_MNIST_CONFIG, numLayers: 1, d: 16, dff: 32 }, 3);
    tf.tidy(() => {
      expect(() => vitForward(params, images([2, 28, 28], 1))).toThrow(/vitForward \(images, params\.patchSize\): extractPatches: argument "images" \[B, H, W, C\] must have rank 4/);
      expect(() => vitForward(params, images([2, 30, 30, 1], 1))).toThrow(/vitForward \(images, params\.patchSize\): extractPatches: patchSize = 7 does not divide the image height H = 30/);
      expect(() => vitForward(params, images([2, 28, 28, 3], 1))).toThrow(/vitForward \(params\.patchEmbed\): patchEmbed: params\.w \[49,16\] must have P = 147 rows/);
      expect(() => vitForward(params, images([2, 14, 14, 1], 1))).toThrow(/vitForward \(params\.cls, params\.positions\): prependClsAndPositions: params\.positions \[17,16\] must be \[N \+ 1, d\] = \[5,16\]/);
      expect(() => vitForward({ ...params, head: { w: tf.zeros([16, 10]), b: tf.zeros([9]) } }, images([1, 28, 28, 1], 1))).toThrow(/vitForward: params\.head\.b \[9\] must be \[numClasses\] = \[10\]/);
      expect(() => vitForward({ ...params, layers: undefined as unknown as VitParams["layers"] }, images([1, 28, 28, 1], 1))).toThrow(/vitForward: params\.layers must be an array/);
    });
    disposeVit(params);
  });

  it("leaves no tensors behind, also inside a caller's tf.tidy, and repeats itself on the same params", () => {
    const params = createVit({ ...VIT_MNIST_CONFIG, numLayers: 2, d: 16, dff: 32 }, 4);
    const x = images([2, 28, 28, 1], 2);
    expect(leakedBy(() => {
      const r = vitForward(params, x);
      tf.dispose([r.logits, ...r.attention]);
    })).toBe(0);
    expect(leakedBy(() => tf.tidy(() => { vitForward(params, x); }))).toBe(0);
    tf.tidy(() => {
      const a = vitForward(params, x);
      const b = vitForward(params, x);
      expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
      expect(a.attention[1].shape).toEqual([2, 4, 17, 17]);
    });
    tf.dispose(x);
    disposeVit(params);
  });
});

describe("ViT model: the fast path equals the exercise functions on the same parameters", () => {
  const config: VitConfig = { imageSize: 12, channels: 2, patchSize: 3, d: 16, numHeads: 4, dff: 24, numLayers: 2, numClasses: 5 };

  /** Randomises every bias, layer-norm parameter, the [CLS] token and the positions, so a dropped one shows. */
  function jitter(params: VitParams, seed: number): void {
    variablesOf(params).forEach((v, i) => {
      if (v.rank === 1 || v === params.positions) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", seed + i))));
    });
  }

  it("creates seeded parameters with stable names, and the MNIST model has the documented size", () => {
    const a = createVit(config, 5);
    const b = createVit(config, 5);
    tf.tidy(() => vitVariables(a).forEach((v, i) => expect(maxAbsDiff(v, vitVariables(b)[i])).toBe(0)));
    const names = namedVitVariables(a).map((n) => n.name);
    expect(names.slice(0, 4)).toEqual(["patchEmbed.w", "patchEmbed.b", "cls", "positions"]);
    expect(names).toContain("layers.1.selfAttn.wq");
    expect(names.slice(-2)).toEqual(["head.w", "head.b"]);
    expect(numPatches(config)).toBe(16);
    disposeVit(a);
    disposeVit(b);
    const mnist = createVit(VIT_MNIST_CONFIG, 1);
    expect(countParameters(vitVariables(mnist))).toBe(3136 + 64 + 64 + 17 * 64 + 4 * (4 * 64 * 64 + 4 * 64 + 2 * 64 * 128 + 128 + 64 + 4 * 64) + 128 + 64 * 10 + 10);
    disposeVit(mnist);
  });

  it("same logits, attention, loss and gradients (1e-5), with no tensors left behind", () => {
    const params = createVit(config, 6);
    jitter(params, 200);
    const x = tf.randomNormal([3, 12, 12, 2], 0.5, 1, "float32", 7);
    const y = tf.tensor1d([0, 3, 4], "int32");
    tf.tidy(() => {
      const plain = vitForwardFrom(vit, params, x);
      const fast = vitForwardFast(params, x);
      expect(relErr(fast.logits, plain.logits)).toBeLessThan(1e-5);
      fast.attention.forEach((a, i) => expect(relErr(a, plain.attention[i]), `layer ${i}`).toBeLessThan(1e-5));
      expect(vitForwardFast(params, x, { attention: false }).attention).toEqual([]);
      const vars = vitVariables(params);
      const f = tf.variableGrads(() => fastCrossEntropy(vitForwardFast(params, x, { attention: false }).logits, y), vars);
      const r = tf.variableGrads(() => crossEntropy(vitForwardFrom(vit, params, x).logits, y), vars);
      expect(Math.abs(f.value.dataSync()[0] - r.value.dataSync()[0])).toBeLessThan(1e-5);
      const names = new Map(namedVitVariables(params).map((n) => [n.variable.name, n.name]));
      for (const v of vars) {
        // Key biases get rounding noise only: adding q·bk to a whole row of scores leaves the softmax unchanged.
        if (names.get(v.name)!.endsWith("selfAttn.bk")) continue;
        expect(relErr(f.grads[v.name], r.grads[v.name]), names.get(v.name)).toBeLessThan(1e-5);
      }
    });
    expect(leakedBy(() => tf.tidy(() => { tf.variableGrads(() => fastCrossEntropy(vitForwardFast(params, x).logits, y), vitVariables(params)); }))).toBe(0);
    tf.dispose([x, y]);
    disposeVit(params);
  });

  it("rejects images the model was not built for", () => {
    const params = createVit(config, 8);
    expect(() => vitForwardFast(params, tf.zeros([2, 28, 28, 1]))).toThrow(/vitForwardFast: images must be float32 \[B, 12, 12, 2\] for this model, got float32 \[2,28,28,1\]/);
    expect(() => vitForwardFrom(vit, params, tf.zeros([2, 12, 12, 2], "int32"))).toThrow(/vitForwardFrom: images must be float32 \[B, 12, 12, 2\]/);
    disposeVit(params);
  });
});

describe("ViT model: what the notebook draws", () => {
  it("positionSimilarity: cosine similarity of the patch positions, [CLS] left out", () => {
    tf.tidy(() => {
      const positions = tf.tensor2d([[9, 9], [1, 0], [0, 2], [-3, 0]]); // [CLS], then three patches
      const s = positionSimilarity(positions);
      expect(s.shape).toEqual([3, 3]);
      const want = [[1, 0, -1], [0, 1, 0], [-1, 0, 1]];
      (s.arraySync() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], 6)));
    });
    expect(() => positionSimilarity(tf.zeros([1, 4]))).toThrow(/positionSimilarity: positions must be \[N \+ 1, d\] with N >= 1, got \[1,4\]/);
  });

  it("clsAttentionGrid: [CLS]'s weights over the patches, averaged over heads, on the patch grid", () => {
    tf.tidy(() => {
      // B=1, h=2, N=4 patches (a 2×2 grid): head 0 puts [CLS]'s weight on patch 1, head 1 on patch 4.
      const w = tf.buffer([1, 2, 5, 5]);
      w.set(1, 0, 0, 0, 1);
      w.set(1, 0, 1, 0, 4);
      w.set(1, 0, 0, 3, 2); // another query's row: must not count
      expect(clsAttentionGrid(w.toTensor()).arraySync()).toEqual([[[0.5, 0], [0, 0.5]]]);
      const params = createVit(VIT_MNIST_CONFIG, 9);
      const r = vitForwardFast(params, images([2, 28, 28, 1], 3));
      expect(clsAttentionGrid(r.attention[3]).shape).toEqual([2, 4, 4]);
      disposeVit(params);
    });
    expect(() => clsAttentionGrid(tf.zeros([1, 2, 6, 6]))).toThrow(/clsAttentionGrid: attention must be one layer's \[B, h, N \+ 1, N \+ 1\] with N a square, got \[1,2,6,6\]/);
  });
});
