/**
 * Misconception variants for the exercises in lib/vit.ts
 * (7.1 extractPatches, 7.2 patchEmbed, 7.3 prependClsAndPositions, 7.4 vitForward).
 *
 * Self-contained like the other variants: no input checks, tf.tidy, and the ViT variants run the
 * correct encoder layer of misconceptions/blocks.ts (encoderWith({})) and their own correct
 * patches, embedding and layer norm, so each variant has exactly one mistake.
 */
import * as tf from "@tensorflow/tfjs";
import type { Misconception, VitModule } from "../../../grader/types";
import type { ClsPositionParams, PatchEmbedParams, VitParams, VitResult } from "../../../solutions/vit";
import { encoderWith } from "./blocks";

type Extract = VitModule["extractPatches"];
type Embed = VitModule["patchEmbed"];
type ClsPos = VitModule["prependClsAndPositions"];
type Forward = VitModule["vitForward"];

// ---------------------------------------------------------------------------------------------
// 7.1 extractPatches

/** How the patches are cut: the reference, or one mistake. */
type PatchMode = "reference" | "column-major" | "channels-first" | "no-transpose";

function patchesWith(mode: PatchMode): Extract {
  return (images, p) =>
    tf.tidy(() => {
      const [b, h, w, c] = images.shape;
      const rows = h / p;
      const cols = w / p;
      if (mode === "no-transpose") return tf.reshape(images, [b, rows * cols, p * p * c]);
      // [B, rows, p, cols, p, C] as 5-D pieces: [B·rows, p, cols, p, C]
      const split = tf.reshape(images, [b * rows, p, cols, p, c]);
      if (mode === "channels-first") {
        // inside a patch: (channel, row, column) instead of (row, column, channel)
        const t = tf.transpose(split, [0, 2, 4, 1, 3]); // [B·rows, cols, C, p, p]
        return tf.reshape(t, [b, rows * cols, p * p * c]);
      }
      const t = tf.transpose(split, [0, 2, 1, 3, 4]); // [B·rows, cols, p, p, C]
      if (mode === "column-major") {
        const grid = tf.reshape(t, [b, rows, cols, p * p * c]);
        return tf.reshape(tf.transpose(grid, [0, 2, 1, 3]), [b, rows * cols, p * p * c]);
      }
      return tf.reshape(t, [b, rows * cols, p * p * c]);
    });
}

export const EXTRACT_PATCHES_MISCONCEPTIONS: readonly Misconception<Extract>[] = [
  {
    exercise: "7.1",
    id: "column-major",
    looksLike: "patches numbered column by column (top to bottom, then left to right)",
    fix: "number the patches row-major: left to right along the top row of patches, then the next row down (patch index = row · (W/p) + column)",
    fn: patchesWith("column-major"),
  },
  {
    exercise: "7.1",
    id: "channels-first",
    looksLike: "patches whose values are ordered channel first (channel, row, column)",
    fix: "keep the channels fastest inside a patch: (row, column, channel), as the images store them; only the patch-column axis needs to move",
    fn: patchesWith("channels-first"),
  },
  {
    exercise: "7.1",
    id: "no-transpose",
    looksLike: "a reshape straight to [B, N, p·p·C] without the transpose, which cuts stripes of the image instead of p×p squares",
    fix: "reshape to [B·H/p, p, W/p, p·C], swap the two middle axes (tf.transpose(x, [0, 2, 1, 3])) so that each patch's rows are together, then reshape to [B, N, p·p·C]",
    fn: patchesWith("no-transpose"),
  },
];

// ---------------------------------------------------------------------------------------------
// 7.2 patchEmbed

function embedWith(o: { bias?: boolean; transposeW?: boolean; relu?: boolean }): Embed {
  return (params, patches) =>
    tf.tidy(() => {
      const [b, n, pDim] = patches.shape;
      const rows = tf.reshape(patches, [b * n, pDim]);
      let y = tf.matMul(rows, params.w, false, o.transposeW ?? false);
      if (o.bias ?? true) y = tf.add(y, params.b);
      if (o.relu) y = tf.relu(y);
      return tf.reshape(y, [b, n, y.shape[1] as number]);
    });
}

export const PATCH_EMBED_MISCONCEPTIONS: readonly Misconception<Embed>[] = [
  {
    exercise: "7.2",
    id: "no-bias",
    looksLike: "a patch embedding without its bias (patches·w)",
    fix: "add the bias after the product: tokens = patches·w + b",
    fn: embedWith({ bias: false }),
  },
  {
    exercise: "7.2",
    id: "transposed-weights",
    looksLike: "a patch embedding that multiplies by wᵀ (patches·wᵀ + b)",
    fix: "w is [P, d] (in, out), as in every layer of the course: tokens = patches·w + b, no transpose",
    fn: embedWith({ transposeW: true }),
  },
  {
    exercise: "7.2",
    id: "relu",
    looksLike: "a patch embedding followed by a ReLU",
    fix: "the patch embedding is linear (a convolution with kernel = stride = p, nothing after it): tokens = patches·w + b",
    fn: embedWith({ relu: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 7.3 prependClsAndPositions

function clsWith(o: { at?: "front" | "end"; clsPosition?: boolean }): ClsPos {
  return (params, tokens) =>
    tf.tidy(() => {
      const [b, n, d] = tokens.shape;
      const cls = tf.broadcastTo(tf.reshape(params.cls, [1, 1, d]), [b, 1, d]);
      if (o.clsPosition === false) {
        const patches = tf.add(tokens, tf.slice(params.positions, [1, 0], [n, d]));
        return tf.concat([cls, patches], 1);
      }
      const seq = o.at === "end" ? tf.concat([tokens, cls], 1) : tf.concat([cls, tokens], 1);
      return tf.add(seq, params.positions);
    });
}

export const CLS_POSITIONS_MISCONCEPTIONS: readonly Misconception<ClsPos>[] = [
  {
    exercise: "7.3",
    id: "cls-at-end",
    looksLike: "the [CLS] token appended after the patches instead of put in front",
    fix: "put [CLS] first: tf.concat([clsRows, tokens], 1), so row 0 is [CLS] and row i is patch i − 1 (vitForward reads position 0)",
    fn: clsWith({ at: "end" }),
  },
  {
    exercise: "7.3",
    id: "cls-without-position",
    looksLike: "a [CLS] token that gets no position embedding (positions[1 …] added to the patches only)",
    fix: "add the whole table after prepending [CLS]: row 0 is cls + positions[0], row i is tokens[i − 1] + positions[i]",
    fn: clsWith({ clsPosition: false }),
  },
];

// ---------------------------------------------------------------------------------------------
// 7.4 vitForward

const correctPatches = patchesWith("reference");
const correctEmbed = embedWith({});
const correctCls = clsWith({});
const correctEncoder = encoderWith({});

function norm(x: tf.Tensor, p: { gamma: tf.Tensor; beta: tf.Tensor }): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p.gamma), p.beta);
}

function forwardWith(o: { pool?: "cls" | "mean" | "last"; finalNorm?: boolean }): Forward {
  return (params: VitParams, images: tf.Tensor): VitResult =>
    tf.tidy(() => {
      const tokens = correctEmbed(params.patchEmbed as PatchEmbedParams, correctPatches(images, params.patchSize));
      let x = correctCls(params as ClsPositionParams, tokens);
      const attention: tf.Tensor[] = [];
      for (const layer of params.layers) {
        const r = correctEncoder(layer, x);
        x = r.output;
        attention.push(r.selfWeights);
      }
      const [b, t, d] = x.shape;
      const pooled =
        o.pool === "mean" ? tf.mean(x, 1) : o.pool === "last" ? tf.reshape(tf.slice(x, [0, t - 1, 0], [b, 1, d]), [b, d]) : tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]);
      const normed = o.finalNorm === false ? pooled : norm(pooled, params.finalNorm);
      return { logits: tf.add(tf.matMul(normed, params.head.w), params.head.b), attention } as unknown as tf.TensorContainer;
    }) as unknown as VitResult;
}

export const VIT_FORWARD_MISCONCEPTIONS: readonly Misconception<Forward>[] = [
  {
    exercise: "7.4",
    id: "mean-pooling",
    looksLike: "a ViT that classifies from the mean of all positions instead of the [CLS] position",
    fix: "classify from position 0 only, the [CLS] token: x[:, 0] after the last layer, then finalNorm and the head",
    fn: forwardWith({ pool: "mean" }),
  },
  {
    exercise: "7.4",
    id: "last-position",
    looksLike: "a ViT that classifies from the last position (the last patch) instead of [CLS]",
    fix: "[CLS] is at position 0 (prependClsAndPositions puts it first): slice x[:, 0], not x[:, N]",
    fn: forwardWith({ pool: "last" }),
  },
  {
    exercise: "7.4",
    id: "no-final-norm",
    looksLike: "a ViT without the final layer norm before the head",
    fix: "the layers are pre-norm, so their output is not normalised: apply params.finalNorm to the [CLS] vector, then the head",
    fn: forwardWith({ finalNorm: false }),
  },
];
