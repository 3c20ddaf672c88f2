/**
 * A decoder-only (GPT-style) language model: token and learned position embeddings, a stack of
 * pre-norm blocks with causal self-attention (an encoder layer under a causal mask), a final
 * layer norm and a linear output layer.
 *
 *   (B, T) ids → embed (B, T, d) → N × block → LN → (B, T, V) logits
 *
 * Two ways to run the same parameters:
 * - gptForwardFrom(blocks, params, ids): built from the exercise functions passed in (the
 *   student's lib/ or the reference solutions/), differentiated by tfjs: readable, slow.
 * - gptForwardFast(params, ids): the fast path (lib/support/fast), ~10× faster to train on wasm.
 * The agreement tests check that both give the same logits, loss and gradients.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { encoderLayer as fastEncoderLayer } from "../fast/layers";
import { embed, glorot, zerosVar } from "../train";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../types";
import { NamedVariable, namedVariables, newEncoderLayer, newLayerNormParams, SeedSequence, variablesOf } from "./params";

export interface GptConfig {
  vocabSize: number;
  /** Longest sequence (the position table's length). */
  context: number;
  /** Model width. */
  d: number;
  numHeads: number;
  /** Hidden width of the feed-forward networks. */
  dff: number;
  numLayers: number;
}

export interface GptParams {
  config: GptConfig;
  /** [V, d] */
  tokenEmbedding: tf.Variable;
  /** [context, d] */
  positionEmbedding: tf.Variable;
  layers: EncoderLayerParams[];
  finalNorm: LayerNormParams;
  /** Output layer: logits = LN(x)·w + b, w [d, V], b [V]. */
  head: { w: tf.Variable; b: tf.Variable };
}

/** The exercise functions the plain forward pass is built from. */
export interface GptBlocks {
  encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult;
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps?: number): tf.Tensor;
  causalMask(n: number): tf.Tensor;
}

/** The model of the training-speed benchmark and the reference figures (≈205k parameters with V = 28). */
export const GPT_BENCH_CONFIG: GptConfig = { vocabSize: 28, context: 16, d: 64, numHeads: 4, dff: 256, numLayers: 4 };

/** Fresh parameters (seeded, non-zero seed): embeddings N(0, 0.02²), matrices Glorot-normal. */
export function createGpt(config: GptConfig, seed: number): GptParams {
  const { vocabSize, context, d, numHeads, dff, numLayers } = config;
  if (d % numHeads !== 0) throw new LabInputError(`createGpt: d = ${d} must be divisible by numHeads = ${numHeads}`);
  const seeds = new SeedSequence(seed);
  return tf.tidy(() => {
    const normal = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.02, "float32", seeds.take()));
    const tokenEmbedding = normal([vocabSize, d]);
    const positionEmbedding = normal([context, d]);
    const layers = Array.from({ length: numLayers }, () => newEncoderLayer(d, numHeads, dff, seeds));
    return { config, tokenEmbedding, positionEmbedding, layers, finalNorm: newLayerNormParams(d), head: { w: glorot([d, vocabSize], seeds.take()), b: zerosVar([vocabSize]) } } as unknown as tf.TensorContainer;
  }) as unknown as GptParams;
}

/** Every trained tensor, in a fixed order (embeddings, layers, final norm, head). */
export function gptVariables(params: GptParams): tf.Variable[] {
  return variablesOf([params.tokenEmbedding, params.positionEmbedding, params.layers, params.finalNorm, params.head]);
}

/** The trained tensors with stable names ("layers.0.selfAttn.wq", "head.w", …), for checkpoints and peers. */
export function namedGptVariables(params: GptParams): NamedVariable[] {
  return namedVariables({ tokenEmbedding: params.tokenEmbedding, positionEmbedding: params.positionEmbedding, layers: params.layers, finalNorm: params.finalNorm, head: params.head });
}

export function disposeGpt(params: GptParams): void {
  tf.dispose(gptVariables(params));
}

function checkIds(fn: string, params: GptParams, ids: tf.Tensor): void {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new LabInputError(`${fn}: ids must be an int32 tensor [B, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  if ((ids.shape[1] as number) > params.config.context) {
    throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} are longer than the model's context of ${params.config.context}`);
  }
}

/** Logits [B, T, V] for ids [B, T], built from `blocks` (the student's functions or the reference). */
export function gptForwardFrom(blocks: GptBlocks, params: GptParams, ids: tf.Tensor): tf.Tensor {
  checkIds("gptForwardFrom", params, ids);
  const [b, t] = ids.shape as number[];
  const { d, vocabSize } = params.config;
  return tf.tidy(() => {
    const pos = tf.slice(params.positionEmbedding, [0, 0], [t, d]); // [T, d]
    let x = tf.add(embed(params.tokenEmbedding, ids), pos); // [B, T, d]
    const mask = blocks.causalMask(t); // [T, T]
    for (const layer of params.layers) x = blocks.encoderLayer(layer, x, mask).output;
    const h = blocks.layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
    return tf.reshape(tf.add(tf.matMul(tf.reshape(h, [b * t, d]), params.head.w), params.head.b), [b, t, vocabSize]);
  });
}

/** The same logits on the fast path. */
export function gptForwardFast(params: GptParams, ids: tf.Tensor): tf.Tensor {
  checkIds("gptForwardFast", params, ids);
  const t = ids.shape[1] as number;
  const { d } = params.config;
  return tf.tidy(() => {
    const pos = tf.slice(params.positionEmbedding, [0, 0], [t, d]);
    let x = tf.add(fast.embedding(params.tokenEmbedding, ids), pos);
    for (const layer of params.layers) x = fastEncoderLayer(layer, x, { causal: true }).output;
    const h = fast.layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
    return fast.linear(h, params.head.w, params.head.b);
  });
}
