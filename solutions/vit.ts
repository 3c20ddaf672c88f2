/**
 * Reference solutions for notebook 07 (the Vision Transformer).
 *
 * A ViT reads an image as a sentence of patches: cut it into p×p squares, flatten each square
 * into one vector, project every vector to the model width d (the patch embedding), put a learned
 * [CLS] token in front, add learned position embeddings, run the encoder layers of notebook 03
 * and classify from the [CLS] position.
 *
 * Images are channels-last, [B, H, W, C], as tfjs stores them. Weights follow notebook 02's
 * convention y = x·W + b with W [d_in, d_out].
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt, requireTensor, within } from "../lib/support/checks";
import { batchMatMul } from "../lib/support/ops";
import { encoderLayer, layerNorm } from "./blocks";
import type { ClsPositionParams, PatchEmbedParams, VitParams, VitResult } from "../lib/support/types";
export type { ClsPositionParams, PatchEmbedParams, VitParams, VitResult } from "../lib/support/types";

/** The patch sizes that divide both h and w (for error messages). */
function commonDivisors(h: number, w: number): number[] {
  const out: number[] = [];
  for (let p = 1; p <= Math.min(h, w); p++) if (h % p === 0 && w % p === 0) out.push(p);
  return out;
}

function checkImages(fn: string, images: tf.Tensor): void {
  if (images instanceof tf.Tensor && images.rank === 3) {
    throw new LabInputError(
      `${fn}: argument "images" [B, H, W, C] must have rank 4, got shape ${fmtShape(images.shape)} (rank 3): ` +
        `for a batch of grey images add the channel axis with tf.expandDims(images, -1); for one image add the batch axis with tf.expandDims(image, 0)`,
    );
  }
  requireTensor(fn, "images", images, { rank: 4, dtypes: ["float32"], pattern: "[B, H, W, C]" });
  const bad = tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(images)), "int32")).dataSync()[0]);
  if (bad > 0) {
    const first = tf.tidy(() => tf.argMin(tf.reshape(tf.cast(tf.isFinite(images), "int32"), [-1])).dataSync()[0]);
    const [, h, w, c] = images.shape;
    const at = [Math.floor(first / (h * w * c)), Math.floor(first / (w * c)) % h, Math.floor(first / c) % w, first % c];
    throw new LabInputError(`${fn}: images ${fmtShape(images.shape)} holds ${bad} non-finite value(s) (NaN or ±Infinity), the first at [${at.join(", ")}]`);
  }
}

/**
 * Exercise 7.1: cut images [B, H, W, C] into non-overlapping p×p patches → [B, N, p·p·C] with
 * N = (H/p)·(W/p). Patches are numbered row-major (left to right, then top to bottom); inside a
 * patch the values are in (row, column, channel) order. This is PyTorch's
 * `F.unfold(x, p, stride=p)` with each patch's values moved to channels-last order.
 */
export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  const fn = "extractPatches";
  checkImages(fn, images);
  const [b, h, w, c] = images.shape;
  const p = requireInt(fn, "patchSize", patchSize, 1);
  if (h % p !== 0 || w % p !== 0) {
    const which = h % p !== 0 ? `height H = ${h}` : `width W = ${w}`;
    throw new LabInputError(
      `${fn}: patchSize = ${p} does not divide the image ${which} of images ${fmtShape(images.shape)}; ` +
        `patch sizes that divide both ${h} and ${w}: ${commonDivisors(h, w).join(", ")}`,
    );
  }
  const rows = h / p;
  const cols = w / p;
  return tf.tidy(() => {
    // Split each axis into (which patch, where inside it): [B·H/p, p, W/p, p·C]. The last axis
    // already holds one patch row (p pixels × C channels) contiguously.
    const split = tf.reshape(images, [b * rows, p, cols, p * c]);
    // Bring the patch-column index before the row-inside-the-patch: [B·H/p, W/p, p, p·C].
    // Without this transpose a "patch" would be p pixels from p different patches: a stripe.
    const grouped = tf.transpose(split, [0, 2, 1, 3]);
    return tf.reshape(grouped, [b, rows * cols, p * p * c]); // [B, N, p·p·C]
  });
}

/**
 * Exercise 7.2: the patch embedding, patches [B, N, P] → tokens [B, N, d]: every patch is
 * multiplied by the same matrix, tokens = patches·w + b, with w [P, d] and b [d]
 * (P = p·p·C). Equal to a convolution with kernel size = stride = p (notebook 07 shows it).
 */
export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const fn = "patchEmbed";
  requireTensor(fn, "patches", patches, { rank: 3, dtypes: ["float32"], pattern: "[B, N, P]" });
  if (typeof params !== "object" || params === null) throw new LabInputError(`${fn}: argument "params" must be an object with w [P, d] and b [d]`);
  const [b, n, pDim] = patches.shape;
  const w = requireTensor(fn, "params.w", params.w, { rank: 2, dtypes: ["float32"], pattern: "[P, d]" });
  if (w.shape[0] !== pDim) {
    throw new LabInputError(`${fn}: params.w ${fmtShape(w.shape)} must have P = ${pDim} rows, the length of one patch of patches ${fmtShape(patches.shape)}`);
  }
  const d = w.shape[1];
  const bias = requireTensor(fn, "params.b", params.b, { rank: 1, dtypes: ["float32"], pattern: "[d]" });
  if (bias.shape[0] !== d) throw new LabInputError(`${fn}: params.b ${fmtShape(bias.shape)} must be [d] = [${d}] for params.w ${fmtShape(w.shape)}`);
  return tf.tidy(() => {
    const rows = tf.reshape(patches, [1, b * n, pDim]); // every patch is an independent row
    const tokens = tf.add(batchMatMul(rows, tf.expandDims(w, 0)), bias); // [1, B·N, d]
    return tf.reshape(tokens, [b, n, d]);
  });
}

/**
 * Exercise 7.3: put the [CLS] token in front of every image's tokens and add the position
 * embeddings: tokens [B, N, d] → [B, N + 1, d], where row 0 is cls + positions[0] and row i is
 * tokens[i − 1] + positions[i]. params.cls: [d], params.positions: [N + 1, d].
 */
export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const fn = "prependClsAndPositions";
  requireTensor(fn, "tokens", tokens, { rank: 3, dtypes: ["float32"], pattern: "[B, N, d]" });
  if (typeof params !== "object" || params === null) throw new LabInputError(`${fn}: argument "params" must be an object with cls [d] and positions [N + 1, d]`);
  const [b, n, d] = tokens.shape;
  const cls = requireTensor(fn, "params.cls", params.cls, { dtypes: ["float32"], pattern: "[d]" });
  if (cls.rank !== 1 || cls.shape[0] !== d) {
    throw new LabInputError(`${fn}: params.cls ${fmtShape(cls.shape)} must be [d] = [${d}] for tokens ${fmtShape(tokens.shape)}`);
  }
  const pos = requireTensor(fn, "params.positions", params.positions, { rank: 2, dtypes: ["float32"], pattern: "[N + 1, d]" });
  if (pos.shape[0] !== n + 1 || pos.shape[1] !== d) {
    const hint = pos.shape[0] === n ? " (one row per patch plus one for [CLS])" : "";
    throw new LabInputError(`${fn}: params.positions ${fmtShape(pos.shape)} must be [N + 1, d] = [${n + 1},${d}] for tokens ${fmtShape(tokens.shape)}${hint}`);
  }
  return tf.tidy(() => {
    const clsRows = tf.broadcastTo(tf.reshape(cls, [1, 1, d]), [b, 1, d]); // the same [CLS] for every image
    const withCls = tf.concat([clsRows, tokens], 1); // [B, N + 1, d]
    return tf.add(withCls, pos); // positions [N + 1, d] broadcast over the batch
  });
}

/**
 * Exercise 7.4: the whole ViT, images [B, H, W, C] → { logits [B, numClasses], attention }.
 *   patches = extractPatches(images, p)                 [B, N, p·p·C]
 *   x = prependClsAndPositions(patchEmbed(patches))     [B, N + 1, d]
 *   x = encoderLayer(x) for each layer (no mask: every patch sees every patch)
 *   logits = LN(x[:, 0])·head.w + head.b                (the [CLS] position only)
 * attention: each layer's selfWeights [B, h, N + 1, N + 1], in layer order.
 */
export function vitForward(params: VitParams, images: tf.Tensor): VitResult {
  const fn = "vitForward";
  if (typeof params !== "object" || params === null) throw new LabInputError(`${fn}: argument "params" must be an object with patchSize, patchEmbed, cls, positions, layers, finalNorm, head`);
  if (!Array.isArray(params.layers)) throw new LabInputError(`${fn}: params.layers must be an array of encoder-layer parameters, got ${typeof params.layers}`);
  const head = params.head;
  if (typeof head !== "object" || head === null) throw new LabInputError(`${fn}: params.head must be an object with w [d, numClasses] and b [numClasses]`);
  const w = requireTensor(fn, "params.head.w", head.w, { rank: 2, dtypes: ["float32"], pattern: "[d, numClasses]" });
  const bias = requireTensor(fn, "params.head.b", head.b, { rank: 1, dtypes: ["float32"], pattern: "[numClasses]" });
  if (bias.shape[0] !== w.shape[1]) throw new LabInputError(`${fn}: params.head.b ${fmtShape(bias.shape)} must be [numClasses] = [${w.shape[1]}] for params.head.w ${fmtShape(w.shape)}`);
  return tf.tidy(() => {
    // Bad images or patch sizes are reported by extractPatches, prefixed with where they came from.
    const patches = within(fn, "images, params.patchSize", () => extractPatches(images, params.patchSize));
    const tokens = within(fn, "params.patchEmbed", () => patchEmbed(params.patchEmbed, patches));
    let x = within(fn, "params.cls, params.positions", () => prependClsAndPositions(params, tokens)); // [B, N + 1, d]
    const [b, , d] = x.shape;
    if (w.shape[0] !== d) throw new LabInputError(`${fn}: params.head.w ${fmtShape(w.shape)} must have d = ${d} rows (the model width)`);
    const attention: tf.Tensor[] = [];
    params.layers.forEach((layer, i) => {
      const r = within(fn, `params.layers[${i}]`, () => encoderLayer(layer, x));
      x = r.output;
      attention.push(r.selfWeights);
    });
    const cls = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]); // [B, d]: position 0 of every image
    const normed = within(fn, "params.finalNorm", () => layerNorm(cls, params.finalNorm.gamma, params.finalNorm.beta));
    const logits = tf.add(tf.matMul(normed, w), bias); // [B, numClasses]
    return { logits, attention } as unknown as tf.TensorContainer;
  }) as unknown as VitResult;
}
