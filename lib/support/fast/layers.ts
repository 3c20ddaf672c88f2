/**
 * The course's layers (solutions/multihead.ts and solutions/blocks.ts) rebuilt on the fast ops,
 * on the SAME parameter objects (MultiHeadParams, EncoderLayerParams, DecoderLayerParams), so a
 * model trained here runs unchanged through the student's own functions, and the other way round.
 *
 * The maths is that of the reference: pre-norm layers, x + Sublayer(LayerNorm(x)); attention
 * softmax(QKᵀ/√dh)V per head with q, k, v projections (and optional biases) and an output
 * projection. What differs is only how it runs: q, k and v come out of one fused product, heads
 * are read in place, and every op has a hand-written gradient.
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderLayerParams, EncoderLayerParams, FeedForwardParams, MultiHeadParams } from "../types";
import { AttentionMaskOptions, crossAttention, layerNorm, linear, linearParts, selfAttention } from "./ops";

/** The projections of the named parts (q, k, v) side by side, biases included where present. */
function project(params: MultiHeadParams, x: tf.Tensor, parts: readonly ("q" | "k" | "v")[]): tf.Tensor {
  const biases = parts.map((p) => params[`b${p}`]);
  return linearParts(x, parts.map((p) => params[`w${p}`]), biases.some((b) => b !== undefined) ? biases : undefined);
}

export interface FastAttentionOutput {
  /** [B, Tq, d] after the output projection (and the residual, if one was given). */
  output: tf.Tensor;
  /** [B, h, Tq, Tk] */
  weights: tf.Tensor;
}

/**
 * Multi-head self-attention of x [B, T, d] (solutions' multiHeadAttention(params, x, x, mask)),
 * plus `residual` [B, T, d] if given (added inside the output projection).
 */
export function selfAttentionLayer(params: MultiHeadParams, x: tf.Tensor, mask: AttentionMaskOptions = {}, residual?: tf.Tensor): FastAttentionOutput {
  const attn = selfAttention(project(params, x, ["q", "k", "v"]), params.numHeads, mask);
  return { output: linear(attn.output, params.wo, params.bo, { residual }), weights: attn.weights };
}

/** The keys and values of x [B, T, d] side by side, [B, T, 2d]: what a decoder computes once and caches. */
export function keyValueProjection(params: MultiHeadParams, x: tf.Tensor): tf.Tensor {
  return project(params, x, ["k", "v"]);
}

/** Multi-head attention of queries from y [B, Tq, d] over keys|values already projected, kv [B, Tk, 2d]. */
export function attentionOverKeyValues(params: MultiHeadParams, y: tf.Tensor, kv: tf.Tensor, mask: AttentionMaskOptions = {}, residual?: tf.Tensor): FastAttentionOutput {
  const attn = crossAttention(project(params, y, ["q"]), kv, params.numHeads, mask);
  return { output: linear(attn.output, params.wo, params.bo, { residual }), weights: attn.weights };
}

/** Multi-head cross-attention: queries from y [B, Tq, d], keys and values from memory [B, Tk, d]. */
export function crossAttentionLayer(params: MultiHeadParams, y: tf.Tensor, memory: tf.Tensor, mask: AttentionMaskOptions = {}, residual?: tf.Tensor): FastAttentionOutput {
  return attentionOverKeyValues(params, y, keyValueProjection(params, memory), mask, residual);
}

/** relu(x·w1 + b1)·w2 + b2 (+ residual): the relu and the residual fused into the products. */
export function feedForwardLayer(params: FeedForwardParams, x: tf.Tensor, residual?: tf.Tensor): tf.Tensor {
  return linear(linear(x, params.w1, params.b1, { relu: true }), params.w2, params.b2, { residual });
}

export interface FastEncoderOutput {
  output: tf.Tensor;
  selfWeights: tf.Tensor;
}

/**
 * One pre-norm encoder layer (solutions' encoderLayer): a = x + SelfAttn(LN1(x)),
 * out = a + FFN(LN2(a)). With `causal`, it is a GPT block.
 */
export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask: AttentionMaskOptions = {}): FastEncoderOutput {
  const attn = selfAttentionLayer(params.selfAttn, layerNorm(x, params.norm1.gamma, params.norm1.beta), mask, x);
  const a = attn.output; // x + SelfAttn(LN1(x))
  const output = feedForwardLayer(params.ffn, layerNorm(a, params.norm2.gamma, params.norm2.beta), a);
  return { output, selfWeights: attn.weights };
}

export interface FastDecoderOutput {
  output: tf.Tensor;
  selfWeights: tf.Tensor;
  crossWeights: tf.Tensor;
}

/**
 * One pre-norm decoder layer (solutions' decoderLayer): causal self-attention, cross-attention
 * over memory (keys masked by memoryKeyValid [B, Tx], if given), feed-forward.
 */
export function decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, opts: { memoryKeyValid?: tf.Tensor; selfKeyValid?: tf.Tensor } = {}): FastDecoderOutput {
  const self = selfAttentionLayer(params.selfAttn, layerNorm(y, params.norm1.gamma, params.norm1.beta), { causal: true, keyValid: opts.selfKeyValid }, y);
  const a = self.output; // y + SelfAttn(LN1(y))
  const cross = crossAttentionLayer(params.crossAttn, layerNorm(a, params.norm2.gamma, params.norm2.beta), memory, { keyValid: opts.memoryKeyValid }, a);
  const c = cross.output; // a + CrossAttn(LN2(a), memory)
  const output = feedForwardLayer(params.ffn, layerNorm(c, params.norm3.gamma, params.norm3.beta), c);
  return { output, selfWeights: self.weights, crossWeights: cross.weights };
}

export interface FastEncoderStepOutput {
  /** [B, 1, d]: the layer's output at the new position. */
  output: tf.Tensor;
  /** [B, t + 1, 2d]: the keys and values of every position so far (k then v, heads as columns). */
  kv: tf.Tensor;
}

/**
 * One new position through a causal encoder layer (a GPT block) with a key/value cache:
 * x [B, 1, d] is the new position's input, cache [B, t, 2d] the keys and values of the t
 * positions before it (null when t = 0). The new query attends over all t + 1 keys, so no mask
 * is needed; the result equals row t of encoderLayer(params, x_0..t, { causal: true }).
 */
export function encoderLayerStep(params: EncoderLayerParams, x: tf.Tensor, cache: tf.Tensor | null): FastEncoderStepOutput {
  return tf.tidy(() => {
    const a = params.selfAttn;
    const n1 = layerNorm(x, params.norm1.gamma, params.norm1.beta);
    const q = project(a, n1, ["q"]); // [B, 1, d]
    const kvNew = project(a, n1, ["k", "v"]); // [B, 1, 2d]
    const kv = cache === null ? kvNew : tf.concat([cache, kvNew], 1); // [B, t+1, 2d]
    const attn = crossAttention(q, kv, a.numHeads);
    const h = linear(attn.output, a.wo, a.bo, { residual: x }); // x + SelfAttn(LN1(x))
    const output = feedForwardLayer(params.ffn, layerNorm(h, params.norm2.gamma, params.norm2.beta), h);
    return { output, kv } as unknown as tf.TensorContainer;
  }) as unknown as FastEncoderStepOutput;
}

export interface FastDecoderStepOutput {
  /** [B, 1, d] */
  output: tf.Tensor;
  /** [B, t + 1, 2d]: the self-attention keys|values cache with this position appended. */
  selfKv: tf.Tensor;
  /** [B, h, 1, Tx] */
  crossWeights: tf.Tensor;
}

/**
 * decoderLayer for ONE new position y [B, 1, d], given the self-attention keys|values of the
 * earlier positions (selfKv [B, t, 2d], absent at the first position) and the cross-attention
 * keys|values of the memory (memoryKv [B, Tx, 2d], keyValueProjection(params.crossAttn, memory)).
 * Equal to the last position of decoderLayer over all t + 1 positions: the causal mask lets that
 * position see every earlier one, and the earlier positions do not depend on it.
 */
export function decoderLayerStep(params: DecoderLayerParams, y: tf.Tensor, memoryKv: tf.Tensor, opts: { selfKv?: tf.Tensor; memoryKeyValid?: tf.Tensor } = {}): FastDecoderStepOutput {
  const n1 = layerNorm(y, params.norm1.gamma, params.norm1.beta);
  const kvNew = keyValueProjection(params.selfAttn, n1); // [B, 1, 2d]
  const selfKv = opts.selfKv ? tf.concat([opts.selfKv, kvNew], 1) : kvNew;
  const a = attentionOverKeyValues(params.selfAttn, n1, selfKv, {}, y).output; // y + SelfAttn(LN1(y))
  const cross = attentionOverKeyValues(params.crossAttn, layerNorm(a, params.norm2.gamma, params.norm2.beta), memoryKv, { keyValid: opts.memoryKeyValid }, a);
  const c = cross.output; // a + CrossAttn(LN2(a), memory)
  const output = feedForwardLayer(params.ffn, layerNorm(c, params.norm3.gamma, params.norm3.beta), c);
  return { output, selfKv, crossWeights: cross.weights };
}
