/**
 * Graded checks for lib/vit.ts: exercises 7.1 extractPatches (15), 7.2 patchEmbed (10),
 * 7.3 prependClsAndPositions (10) and 7.4 vitForward (20).
 *
 * Images and weights are injected and seeded. Image shapes are chosen where patch-order mistakes
 * show: a grid of 2×2 patches (row-major and column-major numbering differ), grids with more rows
 * than columns (H ≠ W), several channels (the order inside a patch), p = 1 and p = H. The pixel
 * values are distinct, so a probe can tell which reference patch every value came from.
 * vitForward runs on the student's own extractPatches, patchEmbed, prependClsAndPositions,
 * encoderLayer and layerNorm: when it fails because of one of those, cause finding
 * (grader/cause.ts) says which one and credits 7.4 ("fix 7.1 first").
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams, PatchEmbedParams, VitParams } from "../../../lib/support/types";
import { allClose, CheckFailure, describeValue, fmtNum } from "../../../grader/compare";
import type { Finding } from "../../../grader/diagnose";
import { arr, fmtIndices, type Arr } from "../../../grader/probes";
import type { Check, VitModule } from "../../../grader/types";
import { badInputCheck, contractChecks, expectShapeAndDtype, gradientCheck, randn, shapeDtypeCheck, valueCheck } from "../../../grader/builders";
import { encoderParams, lnParams } from "./blocks";

type M = VitModule;

// ---------------------------------------------------------------------------------------------
// 7.1 extractPatches

type PatchArgs = { images: tf.Tensor; p: number };
const patchCall = (m: M, a: PatchArgs): unknown => m.extractPatches(a.images, a.p);
const images = (shape: number[], p: number, seed: number) => (): PatchArgs => ({ images: randn(shape, seed), p });

/** Which reference patch each value of `e` [B, N, P] belongs to (the values are distinct: seeded normals). */
function patchOfValue(e: Arr): Map<string, number> {
  const [, n, pDim] = e.shape;
  const out = new Map<string, number>();
  e.data.forEach((v, i) => out.set(v.toFixed(5), Math.floor(i / pDim) % n));
  return out;
}

/**
 * What a wrong [B, N, P] result shows: the reference's patches in another order, the right
 * pixels in another order inside each patch, or patches that mix pixels of different p×p squares
 * (a reshape without the transpose cuts stripes).
 */
function patchProbe(got: unknown, expected: unknown): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || got.rank !== 3 || (got.shape as number[]).some((d, i) => d !== expected.shape[i])) return undefined;
  const g = arr(got);
  const e = arr(expected);
  const [b, n, pDim] = e.shape;
  const patch = (a: Arr, i: number, j: number) => a.data.slice((i * n + j) * pDim, (i * n + j + 1) * pDim);
  const sorted = (xs: ArrayLike<number>) => Array.from(xs).sort((x, y) => x - y);
  // Whole patches in a different order?
  const perm: number[] = [];
  for (let j = 0; j < n; j++) perm.push([...Array(n).keys()].find((k) => [...Array(b).keys()].every((i) => allClose(patch(g, i, j), patch(e, i, k)))) ?? -1);
  if (perm.every((k) => k >= 0) && new Set(perm).size === n) {
    const moved = perm.map((k, j) => [j, k]).filter(([j, k]) => j !== k);
    return {
      problem: "your patches are the reference's patches in a different order: number them left to right along the top row of patches first, then the next row down (row-major)",
      detail: moved.slice(0, 3).map(([j, k]) => `your patch ${j} is the reference's patch ${k}`).join(", ") + (moved.length > 3 ? ", …" : ""),
    };
  }
  const owner = patchOfValue(e);
  const sources = (i: number, j: number) => new Set(patch(g, i, j).map((v) => owner.get(v.toFixed(5)) ?? -1));
  let mixed: { j: number; from: number[] } | undefined;
  for (let i = 0; i < b && !mixed; i++) {
    for (let j = 0; j < n && !mixed; j++) {
      const s = sources(i, j);
      if (s.size > 1 && !s.has(-1)) mixed = { j, from: [...s].sort((x, y) => x - y) };
    }
  }
  if (mixed) {
    return {
      problem: "some of your patches mix pixels of different p×p squares of the image, so they are not squares (a reshape alone, without bringing the patch-column axis forward, cuts stripes)",
      detail: `your patch ${mixed.j} holds pixels of the reference's patches ${fmtIndices(mixed.from)}`,
    };
  }
  const sameSets = [...Array(b).keys()].every((i) => [...Array(n).keys()].every((j) => allClose(sorted(patch(g, i, j)), sorted(patch(e, i, j)))));
  if (sameSets) {
    return { problem: "each of your patches holds the right pixels, but in a different order inside the patch: the order is pixel row, then pixel column, then channel (channels fastest)" };
  }
  return undefined;
}

const patchValues = (name: string, points: number, inputs: () => PatchArgs) => valueCheck({ exercise: "7.1", name, points, inputs, call: patchCall, probe: patchProbe });

export const EXTRACT_PATCHES_CHECKS: readonly Check<M>[] = [
  patchValues("values, images [2,8,8,1], patch 4 (a 2×2 grid of patches)", 2, images([2, 8, 8, 1], 4, 7001)),
  patchValues("values, images [2,6,4,3], patch 2 (3 rows × 2 columns of patches, 3 channels)", 3, images([2, 6, 4, 3], 2, 7011)),
  patchValues("values, images [1,12,8,2], patch 4 (3 × 2 patches, 2 channels)", 2, images([1, 12, 8, 2], 4, 7021)),
  patchValues("values, patch 1: every pixel is a patch, images [2,3,5,2]", 1, images([2, 3, 5, 2], 1, 7031)),
  patchValues("values, patch = image size: one patch per image, images [2,4,4,3]", 1, images([2, 4, 4, 3], 4, 7041)),
  shapeDtypeCheck({ exercise: "7.1", name: "output [B, N, p·p·C], dtype float32", points: 1, inputs: images([3, 6, 9, 2], 3, 7051), call: patchCall }),
  ...contractChecks<M, PatchArgs>({
    exercise: "7.1",
    call: patchCall,
    forms: [
      { label: "images [2,8,8,1], patch 4", inputs: images([2, 8, 8, 1], 4, 7061) },
      { label: "images [2,6,4,3], patch 2", inputs: images([2, 6, 4, 3], 2, 7062) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "7.1",
    name: "a patch size that does not divide the image raises an error naming extractPatches, the patch size and the shape",
    points: 1,
    cases: [
      { describe: "images [2,10,8,1], patch 4", call: (m) => m.extractPatches(randn([2, 10, 8, 1], 7071), 4), mention: ["2,10,8,1", /\b4\b/], mentionText: "the images' shape [2,10,8,1] and the patch size 4" },
      { describe: "images [1,8,6,1], patch 4", call: (m) => m.extractPatches(randn([1, 8, 6, 1], 7072), 4), mention: ["1,8,6,1", /\b4\b/], mentionText: "the images' shape [1,8,6,1] and the patch size 4" },
    ],
  }),
  badInputCheck<M>({
    exercise: "7.1",
    name: "images of rank 3 or with NaN pixels raise an error naming extractPatches",
    points: 1,
    cases: [
      { describe: "images [8,8,1] (no batch axis), patch 4", call: (m) => m.extractPatches(randn([8, 8, 1], 7081), 4), mention: ["8,8,1"], mentionText: "the images' shape [8,8,1]" },
      {
        describe: "images [1,4,4,1] with one NaN pixel, patch 2",
        call: (m) => m.extractPatches(tf.tensor4d([0.1, 0.2, 0.3, 0.4, 0.5, NaN, 0.7, 0.8, 0.9, 1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 4, 4, 1]), 2),
        mention: [/nan|finite/i],
        mentionText: "that a pixel is NaN (not finite)",
      },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 7.2 patchEmbed

type EmbedArgs = { params: PatchEmbedParams; patches: tf.Tensor };
const embedCall = (m: M, a: EmbedArgs): unknown => m.patchEmbed(a.params, a.patches);

function embedParams(pDim: number, d: number, seed: number): PatchEmbedParams {
  return { w: randn([pDim, d], seed, 1 / Math.sqrt(pDim)), b: randn([d], seed + 1, 0.5) };
}
const embed = (shape: number[], d: number, seed: number) => (): EmbedArgs => ({ params: embedParams(shape[2], d, seed), patches: randn(shape, seed + 5) });
const embedValues = (name: string, points: number, inputs: () => EmbedArgs) => valueCheck({ exercise: "7.2", name, points, inputs, call: embedCall });

export const PATCH_EMBED_CHECKS: readonly Check<M>[] = [
  embedValues("values, patches [2,4,12] → d = 8", 2, embed([2, 4, 12], 8, 7101)),
  embedValues("values, patches [3,9,4] → d = 6 (wider than a patch)", 2, embed([3, 9, 4], 6, 7111)),
  embedValues("values, patches [2,5,8] → d = 8 (a square weight matrix)", 1, embed([2, 5, 8], 8, 7121)),
  shapeDtypeCheck({ exercise: "7.2", name: "output [B, N, d], dtype float32", points: 1, inputs: embed([2, 3, 6], 10, 7131), call: embedCall }),
  ...contractChecks<M, EmbedArgs>({
    exercise: "7.2",
    call: embedCall,
    forms: [
      { label: "patches [2,4,12], d = 8", inputs: embed([2, 4, 12], 8, 7141) },
      { label: "patches [1,1,3], d = 2", inputs: embed([1, 1, 3], 2, 7142) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "7.2",
    name: "a weight matrix that does not fit the patches raises an error naming patchEmbed and the shapes",
    points: 1,
    cases: [{ describe: "patches [2,4,12], w [10,8]", call: (m) => m.patchEmbed(embedParams(10, 8, 7151), randn([2, 4, 12], 7155)), mention: ["10,8", /\b12\b/], mentionText: "w's shape [10,8] and the patch length 12" }],
  }),
];

// ---------------------------------------------------------------------------------------------
// 7.3 prependClsAndPositions

type ClsArgs = { params: ClsPositionParams; tokens: tf.Tensor };
const clsCall = (m: M, a: ClsArgs): unknown => m.prependClsAndPositions(a.params, a.tokens);

function clsParams(n: number, d: number, seed: number, rows = n + 1): ClsPositionParams {
  return { cls: randn([d], seed), positions: randn([rows, d], seed + 1, 0.5) };
}
const clsArgs = (shape: number[], seed: number) => (): ClsArgs => ({ params: clsParams(shape[1], shape[2], seed), tokens: randn(shape, seed + 5) });

/**
 * Which row of positions each row of the student's result holds, if each is its own token (row 0
 * cls, row i tokens[i − 1], in every image) plus one whole row of positions (or none): a list of
 * row indices (-1: no position row), or undefined when some row is not of that form.
 */
function positionRowsAdded(g: Arr, args: ClsArgs): number[] | undefined {
  const live = (t: tf.Tensor) => !t.isDisposed;
  if (!live(args.tokens) || !live(args.params.cls) || !live(args.params.positions)) return undefined;
  const tokens = arr(args.tokens);
  const cls = arr(args.params.cls);
  const pos = arr(args.params.positions);
  const [b, t, d] = g.shape;
  if (tokens.shape[1] !== t - 1 || tokens.shape[2] !== d || pos.shape[1] !== d) return undefined;
  const out: number[] = [];
  for (let r = 0; r < t; r++) {
    const residual = (i: number) => [...Array(d).keys()].map((j) => g.data[(i * t + r) * d + j] - (r === 0 ? cls.data[j] : tokens.data[(i * (t - 1) + r - 1) * d + j]));
    const res = [...Array(b).keys()].map(residual);
    const candidates = [-1, ...Array(pos.shape[0]).keys()];
    const row = candidates.find((k) => res.every((x) => allClose(x, k < 0 ? new Array(d).fill(0) : Array.from(pos.data.slice(k * d, (k + 1) * d)))));
    if (row === undefined) return undefined;
    out.push(row);
  }
  return out;
}

/** Row 0 ([CLS]) against rows 1 … N (the patches): which part differs, or which position rows were added where. */
function clsProbe(got: unknown, expected: unknown, args: ClsArgs): Finding | undefined {
  if (!(got instanceof tf.Tensor) || got.isDisposed || !(expected instanceof tf.Tensor) || got.rank !== 3 || (got.shape as number[]).some((d, i) => d !== expected.shape[i])) return undefined;
  const g = arr(got);
  const e = arr(expected);
  const [b, t, d] = e.shape;
  const added = positionRowsAdded(g, args);
  if (added && added.some((k, r) => k !== r)) {
    const wrong = added.map((k, r) => [r, k]).filter(([r, k]) => k !== r);
    const say = ([r, k]: number[]) => `your row ${r} is ${r === 0 ? "cls" : `tokens[${r - 1}]`} + ${k < 0 ? "no position row" : `positions[${k}]`}`;
    return {
      problem: "your rows hold the right tokens ([CLS] first, then the patches in order) but the wrong rows of positions: row 0 must be cls + positions[0] and row i must be tokens[i − 1] + positions[i]",
      detail: wrong.slice(0, 4).map(say).join(", ") + (wrong.length > 4 ? ", …" : ""),
    };
  }
  const rows = (a: Arr, from: number, to: number) => [...Array(b).keys()].flatMap((i) => Array.from(a.data.slice((i * t + from) * d, (i * t + to) * d)));
  const clsOk = allClose(rows(g, 0, 1), rows(e, 0, 1));
  const restOk = allClose(rows(g, 1, t), rows(e, 1, t));
  if (!clsOk && restOk) return { problem: "your rows 1 … N (the patch tokens) match the reference, but your row 0 (the [CLS] token) does not: it must be cls + positions[0]" };
  if (clsOk && !restOk) return { problem: "your row 0 (the [CLS] token) matches the reference, but your rows 1 … N (the patch tokens) do not: row i must be tokens[i − 1] + positions[i]" };
  return undefined;
}

const clsValues = (name: string, points: number, inputs: () => ClsArgs) => valueCheck({ exercise: "7.3", name, points, inputs, call: clsCall, probe: clsProbe });

export const CLS_POSITIONS_CHECKS: readonly Check<M>[] = [
  clsValues("values, tokens [2,4,8], positions [5,8]", 3, clsArgs([2, 4, 8], 7201)),
  clsValues("values, tokens [3,1,6] (one patch), positions [2,6]", 2, clsArgs([3, 1, 6], 7211)),
  shapeDtypeCheck({ exercise: "7.3", name: "output [B, N + 1, d], dtype float32", points: 1, inputs: clsArgs([2, 5, 4], 7221), call: clsCall }),
  ...contractChecks<M, ClsArgs>({
    exercise: "7.3",
    call: clsCall,
    forms: [
      { label: "tokens [2,4,8]", inputs: clsArgs([2, 4, 8], 7231) },
      { label: "tokens [1,3,4]", inputs: clsArgs([1, 3, 4], 7232) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "7.3",
    name: "a position table without the [CLS] row (or with too many rows) raises an error naming prependClsAndPositions and the shapes",
    points: 1,
    cases: [
      { describe: "tokens [2,4,8], positions [4,8]", call: (m) => m.prependClsAndPositions(clsParams(4, 8, 7241, 4), randn([2, 4, 8], 7245)), mention: ["4,8", "2,4,8"], mentionText: "the shapes [4,8] (positions) and [2,4,8] (tokens)" },
      { describe: "tokens [2,4,8], positions [6,8]", call: (m) => m.prependClsAndPositions(clsParams(4, 8, 7251, 6), randn([2, 4, 8], 7255)), mention: ["6,8", "2,4,8"], mentionText: "the shapes [6,8] (positions) and [2,4,8] (tokens)" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 7.4 vitForward

interface VitCase {
  b: number;
  h: number;
  w: number;
  c: number;
  p: number;
  d: number;
  heads: number;
  dff: number;
  layers: number;
  classes: number;
  seed: number;
}

export function vitParams(v: Omit<VitCase, "b">): VitParams {
  const n = (v.h / v.p) * (v.w / v.p);
  return {
    patchSize: v.p,
    patchEmbed: embedParams(v.p * v.p * v.c, v.d, v.seed),
    ...clsParams(n, v.d, v.seed + 2),
    layers: Array.from({ length: v.layers }, (_, i) => encoderParams(v.d, v.heads, v.dff, v.seed + 100 * (i + 1))),
    finalNorm: lnParams(v.d, v.seed + 10),
    head: { w: randn([v.d, v.classes], v.seed + 12, 1 / Math.sqrt(v.d)), b: randn([v.classes], v.seed + 13, 0.5) },
  };
}

type VitArgs = { params: VitParams; images: tf.Tensor };
const vitCall = (m: M, a: VitArgs): unknown => m.vitForward(a.params, a.images);
const vit = (v: VitCase) => (): VitArgs => ({ params: vitParams(v), images: randn([v.b, v.h, v.w, v.c], v.seed + 50) });

function partOf(x: unknown, key: string): unknown {
  return x !== null && typeof x === "object" && !(x instanceof tf.Tensor) ? (x as Record<string, unknown>)[key] : undefined;
}

/** Where the difference starts: in the attention of which layer, or after the last layer. */
function vitProbe(got: unknown, expected: unknown): Finding | undefined {
  const ga = partOf(got, "attention");
  const ea = partOf(expected, "attention") as tf.Tensor[];
  if (!Array.isArray(ga) || !Array.isArray(ea)) return undefined;
  if (ga.length !== ea.length) return { problem: `your attention list has ${ga.length} entries; it must hold one [B, h, N + 1, N + 1] tensor per encoder layer, in layer order`, detail: `${ea.length} layers` };
  const same = (g: unknown, e: tf.Tensor) => g instanceof tf.Tensor && !g.isDisposed && g.rank === e.rank && (g.shape as number[]).every((s, i) => s === e.shape[i]) && allClose(arr(g).data, arr(e).data);
  const matches = ea.map((e, i) => same(ga[i], e));
  if (matches.every(Boolean)) {
    return { problem: "your attention weights match the reference in every layer, so your encoder layers get the right input; the difference comes after the last layer (the [CLS] position, finalNorm or the head)" };
  }
  if (ea.length > 1 && matches.every((m) => !m)) {
    const reversed = ea.every((e, i) => same(ga[ea.length - 1 - i], e));
    if (reversed) return { problem: "your attention list holds the reference's layers in reverse order: entry i belongs to layer i (the first layer applied comes first)" };
  }
  const first = matches.indexOf(false);
  if (first === 0) {
    return { problem: "your attention weights already differ in the first layer, so the difference starts before or in the first encoder layer (the patches, the patch embedding, [CLS] and positions, or how the layer is called)" };
  }
  return { problem: `your attention weights match the reference up to layer ${first - 1} and differ from layer ${first} on: check what goes into layer ${first} (each layer reads the previous layer's output, with its own parameters)`, detail: `${fmtNum(ea.length)} layers` };
}

const vitValues = (name: string, points: number, inputs: () => VitArgs) => valueCheck({ exercise: "7.4", name, points, inputs, call: vitCall, probe: vitProbe });

const GREY: VitCase = { b: 2, h: 8, w: 8, c: 1, p: 4, d: 8, heads: 2, dff: 16, layers: 2, classes: 5, seed: 7301 };
const COLOUR: VitCase = { b: 3, h: 6, w: 4, c: 3, p: 2, d: 12, heads: 3, dff: 24, layers: 1, classes: 4, seed: 7401 };
const DEEP: VitCase = { b: 1, h: 4, w: 4, c: 2, p: 2, d: 8, heads: 4, dff: 8, layers: 3, classes: 3, seed: 7501 };

export const VIT_FORWARD_CHECKS: readonly Check<M>[] = [
  vitValues("values (logits and attention), images [2,8,8,1], patch 4, 2 layers, 2 heads, 5 classes", 5, vit(GREY)),
  vitValues("values, images [3,6,4,3], patch 2 (6 patches), 1 layer, 3 heads, 4 classes", 4, vit(COLOUR)),
  vitValues("values, images [1,4,4,2], patch 2, 3 layers, 4 heads, 3 classes", 3, vit(DEEP)),
  gradientCheck<M, VitArgs>({
    exercise: "7.4",
    name: "gradients of the logits with respect to the patch embedding, [CLS], positions and head",
    points: 2,
    inputs: vit({ ...GREY, seed: 7601 }),
    wrt: (a) => ({ names: ["patchEmbed.w", "cls", "positions", "head.w"], tensors: [a.params.patchEmbed.w, a.params.cls, a.params.positions, a.params.head.w] }),
    replace: (a, [w, cls, positions, hw]) => ({ ...a, params: { ...a.params, patchEmbed: { ...a.params.patchEmbed, w }, cls, positions, head: { ...a.params.head, w: hw } } }),
    call: vitCall,
    output: (r) => partOf(r, "logits"),
    seed: 7605,
  }),
  valueCheck({
    exercise: "7.4",
    name: "logits [B, classes] and attention [B, h, N + 1, N + 1] per layer, dtype float32",
    points: 1,
    inputs: vit({ ...DEEP, b: 2, seed: 7701 }),
    call: vitCall,
    judge: (got, expected) => {
      expectShapeAndDtype("logits", partOf(got, "logits"), partOf(expected, "logits"));
      const ga = partOf(got, "attention");
      const ea = partOf(expected, "attention") as tf.Tensor[];
      if (!Array.isArray(ga) || ga.length !== ea.length) {
        throw new CheckFailure("attention must be an array with one [B, h, N + 1, N + 1] tensor per encoder layer", `${ea.length} layers; got ${describeValue(ga)}`);
      }
      ea.forEach((e, i) => expectShapeAndDtype(`attention[${i}]`, ga[i], e));
    },
  }),
  ...contractChecks<M, VitArgs>({
    exercise: "7.4",
    call: vitCall,
    forms: [
      { label: "grey images [2,8,8,1], 2 layers", inputs: vit({ ...GREY, seed: 7801 }) },
      { label: "colour images [3,6,4,3], 1 layer", inputs: vit({ ...COLOUR, seed: 7802 }) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "7.4",
    name: "a patch size that does not divide the images raises an error naming vitForward (or extractPatches) and the shapes",
    points: 1,
    cases: [{ describe: "images [2,6,6,1], patchSize 4", call: (m) => m.vitForward(vitParams({ ...GREY, h: 8, w: 8, seed: 7901 }), randn([2, 6, 6, 1], 7905)), mention: ["2,6,6,1", /\b4\b/], mentionText: "the images' shape [2,6,6,1] and the patch size 4" }],
  }),
  badInputCheck<M>({
    exercise: "7.4",
    name: "a head of the wrong width raises an error naming vitForward and the shapes",
    points: 1,
    cases: [
      {
        describe: "d = 8, head.w [6,5]",
        call: (m) => m.vitForward({ ...vitParams({ ...GREY, seed: 7911 }), head: { w: randn([6, 5], 7915), b: randn([5], 7916) } }, randn([2, 8, 8, 1], 7917)),
        mention: ["6,5", /\b8\b/],
        mentionText: "head.w's shape [6,5] and the model width 8",
      },
    ],
  }),
];
