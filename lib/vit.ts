/**
 * YOUR CODE for notebook 07 (the Vision Transformer).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 7.1` (… 7.4).
 *
 * A ViT reads an image as a sentence of patches: cut it into p×p squares, flatten each square,
 * project it to the model width d, put a learned [CLS] token in front, add learned position
 * embeddings, run your encoder layers from notebook 03 and classify from the [CLS] position.
 * Images are channels-last, [B, H, W, C], as tfjs stores them; weights follow notebook 02's
 * convention y = x·W + b with W [d_in, d_out].
 * Rules the grader checks: new tensors out, inputs untouched, no leaks (tf.tidy), documented
 * shapes, and bad input rejected with an Error naming the function, the argument and the shapes
 * (lib/support/checks.ts has helpers: requireTensor, requireInt, fmtShape, within).
 * Build vitForward on your own encoderLayer and layerNorm (./blocks).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { ClsPositionParams, PatchEmbedParams, VitParams, VitResult } from "./support/types";
// The types these functions take and return (PatchEmbedParams, VitParams, …) are defined once, in lib/support/types.ts.
export type { ClsPositionParams, PatchEmbedParams, VitParams, VitResult } from "./support/types";

/**
 * Exercise 7.1: cut images [B, H, W, C] into non-overlapping p×p patches → [B, N, p·p·C] with
 * N = (H/p)·(W/p). Patches are numbered row-major (left to right, then top to bottom); inside a
 * patch the values are in (row, column, channel) order. This is PyTorch's
 * `F.unfold(x, p, stride=p)` with each patch's values moved to channels-last order.
 * Hint: tf.reshape and tf.transpose are enough. A reshape alone gives stripes, not squares.
 * Bad input: images that are not float32 [B, H, W, C], a patch size that does not divide H or
 * W, NaN or infinite pixel values: throw an Error naming extractPatches, the argument and the shape.
 */
export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  return todo("7.1");
}

/**
 * Exercise 7.2: the patch embedding, patches [B, N, P] → tokens [B, N, d]: every patch is
 * multiplied by the same matrix, tokens = patches·w + b, with w [P, d] and b [d]
 * (P = p·p·C). Equal to a convolution with kernel size = stride = p (notebook 07 shows it).
 */
export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  return todo("7.2");
}

/**
 * Exercise 7.3: put the [CLS] token in front of every image's tokens and add the position
 * embeddings: tokens [B, N, d] → [B, N + 1, d], where row 0 is cls + positions[0] and row i is
 * tokens[i − 1] + positions[i]. params.cls: [d], params.positions: [N + 1, d].
 */
export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  return todo("7.3");
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
  return todo("7.4");
}
