/**
 * Reference solutions for notebook 02 (multi-head attention and positions).
 *
 * Weight convention: y = x·W + b with W of shape [d_in, d_out] (row vectors times a matrix).
 * PyTorch's nn.Linear stores weight as [d_out, d_in] and computes x·weightᵀ + bias, so our W is
 * PyTorch's weight transposed.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireBroadcastsTo, requireInt, requireTensor } from "../lib/support/checks";
import { batchMatMul } from "../lib/support/ops";
import { scaledDotProductAttention } from "./attention";
import type { MultiHeadParams, MultiHeadResult } from "../lib/support/types";
export type { MultiHeadParams, MultiHeadResult } from "../lib/support/types";

/**
 * Exercise 2.1: [B, T, d] → [B, h, T, d/h]. Head i takes features i·d/h … (i+1)·d/h − 1 of
 * every position (reshape to [B, T, h, d/h], then move the head axis before T).
 */
export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const fn = "splitHeads";
  requireTensor(fn, "x", x, { rank: 3, pattern: "[B, T, d]" });
  requireInt(fn, "numHeads", numHeads, 1);
  const [b, t, d] = x.shape;
  if (d % numHeads !== 0) {
    throw new LabInputError(`${fn}: the model width d = ${d} of x ${fmtShape(x.shape)} is not divisible by numHeads = ${numHeads}`);
  }
  return tf.tidy(() => tf.transpose(tf.reshape(x, [b, t, numHeads, d / numHeads]), [0, 2, 1, 3])); // [B, h, T, d/h]
}

/** Exercise 2.2: the inverse of splitHeads, [B, h, T, dh] → [B, T, h·dh]. */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  requireTensor("mergeHeads", "x", x, { rank: 4, pattern: "[B, h, T, dh]" });
  const [b, h, t, dh] = x.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * dh])); // [B, T, d]
}

function linear(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [b, t, d] = x.shape;
  const y = batchMatMul(tf.reshape(x, [1, b * t, d]), tf.reshape(w, [1, ...w.shape])); // [1, B·T, d_out]
  const out = tf.reshape(y, [b, t, w.shape[1] as number]);
  return bias ? tf.add(out, bias) : out;
}

function checkParams(fn: string, p: MultiHeadParams, d: number): void {
  if (typeof p !== "object" || p === null) throw new LabInputError(`${fn}: argument "params" must be an object with numHeads, wq, wk, wv, wo`);
  requireInt(fn, "params.numHeads", p.numHeads, 1);
  for (const name of ["wq", "wk", "wv", "wo"] as const) {
    const w = requireTensor(fn, `params.${name}`, p[name], { rank: 2, dtypes: ["float32"], pattern: "[d, d]" });
    if (w.shape[0] !== d || w.shape[1] !== d) {
      throw new LabInputError(`${fn}: params.${name} ${fmtShape(w.shape)} must be [d, d] = [${d},${d}] for inputs of width d = ${d}`);
    }
  }
  for (const name of ["bq", "bk", "bv", "bo"] as const) {
    const bias = p[name];
    if (bias === undefined) continue;
    requireTensor(fn, `params.${name}`, bias, { rank: 1, dtypes: ["float32"], pattern: "[d]" });
    if (bias.shape[0] !== d) throw new LabInputError(`${fn}: params.${name} ${fmtShape(bias.shape)} must be [${d}]`);
  }
  if (d % p.numHeads !== 0) throw new LabInputError(`${fn}: the model width d = ${d} is not divisible by params.numHeads = ${p.numHeads}`);
}

/**
 * Exercise 2.3: multi-head attention with injected weights.
 *
 * xq: [B, Tq, d] (queries come from here), xkv: [B, Tk, d] (keys and values come from here;
 * pass the same tensor for self-attention). mask: 1 = may attend, 0 = blocked, either
 * broadcastable to [B, Tq, Tk] (the same for every head; e.g. causalMask(T) or paddingMask's
 * [B, 1, Tk]) or of rank 4, broadcastable to [B, h, Tq, Tk].
 * Q = xq·wq + bq, K = xkv·wk + bk, V = xkv·wv + bv; split into h heads; scaled dot-product
 * attention per head; merge heads; output = merged·wo + bo.
 */
export function multiHeadAttention(params: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  const fn = "multiHeadAttention";
  requireTensor(fn, "xq", xq, { rank: 3, dtypes: ["float32"], pattern: "[B, Tq, d]" });
  requireTensor(fn, "xkv", xkv, { rank: 3, dtypes: ["float32"], pattern: "[B, Tk, d]" });
  const [b, tq, d] = xq.shape as number[];
  const tk = xkv.shape[1] as number;
  if (xkv.shape[0] !== b || xkv.shape[2] !== d) {
    throw new LabInputError(`${fn}: xkv ${fmtShape(xkv.shape)} must have the batch size and width of xq ${fmtShape(xq.shape)} ([${b}, Tk, ${d}])`);
  }
  checkParams(fn, params, d);
  if (mask !== undefined) {
    requireTensor(fn, "mask", mask, { pattern: "(1 = attend, 0 = blocked)" });
    // Rank 4 carries its own head axis; anything else is shared by all heads.
    const [target, name] = mask.rank === 4 ? [[b, params.numHeads, tq, tk], "[B, h, Tq, Tk]"] : [[b, tq, tk], "[B, Tq, Tk]"];
    requireBroadcastsTo(fn, "mask", mask.shape, target, name);
  }
  const h = params.numHeads;
  return tf.tidy(() => {
    const q = splitHeads(linear(xq, params.wq, params.bq), h); // [B, h, Tq, dh]
    const k = splitHeads(linear(xkv, params.wk, params.bk), h); // [B, h, Tk, dh]
    const v = splitHeads(linear(xkv, params.wv, params.bv), h); // [B, h, Tk, dh]
    // A mask without a head axis is the same for every head: insert it so it broadcasts.
    const m = mask === undefined || mask.rank === 4 ? mask : tf.reshape(mask, [...(mask.rank === 3 ? [mask.shape[0]] : [1]), 1, ...mask.shape.slice(-2)]);
    const { output, weights } = scaledDotProductAttention(q, k, v, m === undefined ? undefined : tf.broadcastTo(m, [b, h, tq, tk]));
    return { output: linear(mergeHeads(output), params.wo, params.bo), weights }; // [B, Tq, d], [B, h, Tq, Tk]
  });
}

/**
 * Exercise 2.4: the sinusoidal positional encoding of "Attention Is All You Need", [T, d]
 * (d even): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).
 */
export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  const fn = "sinusoidalPositionalEncoding";
  requireInt(fn, "numPositions", numPositions, 1);
  requireInt(fn, "d", d, 2);
  if (d % 2 !== 0) throw new LabInputError(`${fn}: argument "d" must be even (sin and cos pairs), got ${d}`);
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).reshape([numPositions, 1]); // [T, 1]
    const i2 = tf.range(0, d, 2); // [d/2]: the even feature indices 2i
    const angles = tf.div(pos, tf.pow(10000, tf.div(i2, d))); // [T, d/2]
    // Interleave: column 2i is sin, column 2i+1 is cos.
    return tf.reshape(tf.stack([tf.sin(angles), tf.cos(angles)], 2), [numPositions, d]) as tf.Tensor2D;
  });
}
