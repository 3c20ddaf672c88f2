/**
 * A Vision Transformer classifier (notebook 07): images cut into p×p patches, each patch
 * projected to width d, a learned [CLS] token in front, learned position embeddings, a stack of
 * pre-norm encoder layers, a layer norm and a linear classifier on the [CLS] position.
 *
 *   (B, H, W, C) images → (B, N, p·p·C) patches → (B, N + 1, d) tokens → L × encoder layer
 *   → LN(x[:, 0]) → (B, classes) logits
 *
 * Two ways to run the same parameters (a VitParams, the type of exercise 7.4):
 * - vitForwardFrom(blocks, params, images): the exercise functions passed in (the student's
 *   lib/vit.ts, whose vitForward is built on their own encoder layers, or the reference),
 *   differentiated by tfjs: readable, slow.
 * - vitForwardFast(params, images): the fast path (lib/support/fast), which trains ~10× faster
 *   on wasm. The agreement tests check that both give the same logits, attention and gradients.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { encoderLayer as fastEncoderLayer } from "../fast/layers";
import { glorot, zerosVar } from "../train";
import type { VitParams, VitResult } from "../types";
import { NamedVariable, namedVariables, newEncoderLayer, newLayerNormParams, SeedSequence, variablesOf } from "./params";

export interface VitConfig {
  /** Images are imageSize × imageSize pixels … */
  imageSize: number;
  /** … with this many channels (1 for grey digits). */
  channels: number;
  /** p: divides imageSize; N = (imageSize / p)² patches. */
  patchSize: number;
  /** Model width. */
  d: number;
  numHeads: number;
  /** Hidden width of the feed-forward networks. */
  dff: number;
  numLayers: number;
  numClasses: number;
}

/** A ViT's parameters (every tensor a tf.Variable) and the configuration that fixes their shapes. */
export interface VitModelParams extends VitParams {
  config: VitConfig;
}

/** The exercise functions the plain forward pass is built from (lib/vit.ts or solutions/vit.ts). */
export interface VitBlocks {
  vitForward(params: VitParams, images: tf.Tensor): VitResult;
}

/** The model of notebook 07 and the reference figures: 16 patches of 7×7, 4 layers of width 64. */
export const VIT_MNIST_CONFIG: VitConfig = { imageSize: 28, channels: 1, patchSize: 7, d: 64, numHeads: 4, dff: 128, numLayers: 4, numClasses: 10 };

export function numPatches(config: VitConfig): number {
  return (config.imageSize / config.patchSize) ** 2;
}

/**
 * Fresh parameters (seeded, non-zero seed): the [CLS] token and positions N(0, 0.02²), as in the
 * ViT paper's code; matrices Glorot-normal, biases 0, layer norms 1 and 0.
 */
export function createVit(config: VitConfig, seed: number): VitModelParams {
  const { imageSize, channels, patchSize: p, d, numHeads, dff, numLayers, numClasses } = config;
  if (imageSize % p !== 0) throw new LabInputError(`createVit: patchSize = ${p} must divide imageSize = ${imageSize}`);
  if (d % numHeads !== 0) throw new LabInputError(`createVit: d = ${d} must be divisible by numHeads = ${numHeads}`);
  const seeds = new SeedSequence(seed);
  const n = numPatches(config);
  return tf.tidy(() => {
    const normal = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.02, "float32", seeds.take()));
    const patchEmbed = { w: glorot([p * p * channels, d], seeds.take()), b: zerosVar([d]) };
    const cls = normal([d]);
    const positions = normal([n + 1, d]);
    const layers = Array.from({ length: numLayers }, () => newEncoderLayer(d, numHeads, dff, seeds));
    const head = { w: glorot([d, numClasses], seeds.take()), b: zerosVar([numClasses]) };
    return { config, patchSize: p, patchEmbed, cls, positions, layers, finalNorm: newLayerNormParams(d), head } as unknown as tf.TensorContainer;
  }) as unknown as VitModelParams;
}

/** Every trained tensor, in a fixed order. */
export function vitVariables(params: VitModelParams): tf.Variable[] {
  return variablesOf([params.patchEmbed, params.cls, params.positions, params.layers, params.finalNorm, params.head]);
}

/** The trained tensors with stable names ("patchEmbed.w", "layers.0.selfAttn.wq", …), for checkpoints. */
export function namedVitVariables(params: VitModelParams): NamedVariable[] {
  const { patchEmbed, cls, positions, layers, finalNorm, head } = params;
  return namedVariables({ patchEmbed, cls, positions, layers, finalNorm, head });
}

export function disposeVit(params: VitModelParams): void {
  tf.dispose(vitVariables(params));
}

function checkImages(fn: string, params: VitModelParams, images: tf.Tensor): void {
  const { imageSize: s, channels: c } = params.config;
  if (!(images instanceof tf.Tensor) || images.dtype !== "float32" || fmtShape(images.shape.slice(1)) !== fmtShape([s, s, c])) {
    const got = images instanceof tf.Tensor ? `${images.dtype} ${fmtShape(images.shape)}` : typeof images;
    throw new LabInputError(`${fn}: images must be float32 [B, ${s}, ${s}, ${c}] for this model, got ${got}`);
  }
}

/** Logits and attention for images [B, H, W, C], from `blocks.vitForward` (the student's or the reference). */
export function vitForwardFrom(blocks: VitBlocks, params: VitModelParams, images: tf.Tensor): VitResult {
  checkImages("vitForwardFrom", params, images);
  return blocks.vitForward(params, images);
}

/**
 * The same patches as exercise 7.1 (row-major patches, (row, column, channel) inside each):
 * [B, H, W, C] → [B, N, p·p·C]. No gradient is needed here: the pixels are data.
 */
function patchesOf(images: tf.Tensor, p: number): tf.Tensor {
  const [b, h, w, c] = images.shape;
  const split = tf.reshape(images, [b * (h / p), p, w / p, p * c]);
  return tf.reshape(tf.transpose(split, [0, 2, 1, 3]), [b, (h / p) * (w / p), p * p * c]);
}

export interface VitFastOptions {
  /** Also return each layer's attention weights (default true; training passes false). */
  attention?: boolean;
}

/** The same logits (and attention) on the fast path. */
export function vitForwardFast(params: VitModelParams, images: tf.Tensor, opts: VitFastOptions = {}): VitResult {
  checkImages("vitForwardFast", params, images);
  const b = images.shape[0];
  const { d, patchSize } = params.config;
  return tf.tidy(() => {
    const tokens = fast.linear(patchesOf(images, patchSize), params.patchEmbed.w, params.patchEmbed.b); // [B, N, d]
    const cls = tf.broadcastTo(tf.reshape(params.cls, [1, 1, d]), [b, 1, d]);
    let x = tf.add(tf.concat([cls, tokens], 1), params.positions); // [B, N + 1, d]
    const attention: tf.Tensor[] = [];
    for (const layer of params.layers) {
      const r = fastEncoderLayer(layer, x);
      x = r.output;
      if (opts.attention !== false) attention.push(r.selfWeights);
    }
    const first = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]); // the [CLS] position
    const logits = fast.linear(fast.layerNorm(first, params.finalNorm.gamma, params.finalNorm.beta), params.head.w, params.head.b);
    return { logits, attention } as unknown as tf.TensorContainer;
  }) as unknown as VitResult;
}

/**
 * How alike the learned positions are (the ViT paper's figure): the cosine similarity of every
 * patch's position embedding with every other's, positions [N + 1, d] → [N, N] (the [CLS] row 0
 * left out). Patch i sits at grid row ⌊i / √N⌋, column i mod √N.
 */
export function positionSimilarity(positions: tf.Tensor): tf.Tensor2D {
  if (!(positions instanceof tf.Tensor) || positions.rank !== 2 || positions.shape[0] < 2) {
    throw new LabInputError(`positionSimilarity: positions must be [N + 1, d] with N >= 1, got ${positions instanceof tf.Tensor ? fmtShape(positions.shape) : typeof positions}`);
  }
  const [n1, d] = positions.shape;
  return tf.tidy(() => {
    const p = tf.slice(positions, [1, 0], [n1 - 1, d]); // [N, d]
    const unit = tf.div(p, tf.maximum(tf.norm(p, "euclidean", 1, true), 1e-12));
    return tf.matMul(unit, unit, false, true) as tf.Tensor2D; // [N, N]
  });
}

/**
 * Where [CLS] looks: one layer's attention [B, h, N + 1, N + 1] → [B, √N, √N], the weights of
 * the [CLS] query (row 0) over the N patches (its weight on itself left out), averaged over the
 * heads and laid out as the patch grid, ready to draw over the image.
 */
export function clsAttentionGrid(attention: tf.Tensor): tf.Tensor3D {
  const bad = () => new LabInputError(`clsAttentionGrid: attention must be one layer's [B, h, N + 1, N + 1] with N a square, got ${attention instanceof tf.Tensor ? fmtShape(attention.shape) : typeof attention}`);
  if (!(attention instanceof tf.Tensor) || attention.rank !== 4 || attention.shape[2] !== attention.shape[3]) throw bad();
  const [b, h, t] = attention.shape;
  const side = Math.round(Math.sqrt(t - 1));
  if (side * side !== t - 1 || side < 1) throw bad();
  return tf.tidy(() => {
    const cls = tf.slice(attention, [0, 0, 0, 1], [b, h, 1, t - 1]); // [B, h, 1, N]
    return tf.reshape(tf.mean(cls, 1), [b, side, side]) as tf.Tensor3D;
  });
}
