/**
 * YOUR CODE for notebook 02 (multi-head attention and positions).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 2.1` (… 2.4).
 *
 * Weight convention: y = x·W + b with W of shape [d_in, d_out] (row vectors times a matrix).
 * PyTorch's nn.Linear stores weight as [d_out, d_in] and computes x·weightᵀ + bias, so our W is
 * PyTorch's weight transposed.
 *
 * Rules the grader checks: return new tensors (never modify the inputs), free intermediates
 * (tf.tidy), match the documented shapes, and reject bad input with an Error naming the
 * function and the shapes or values involved (helpers in lib/support/checks.ts).
 * You may call your own scaledDotProductAttention from ./attention.
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { MultiHeadParams, MultiHeadResult } from "./support/types";
// The types these functions take and return (MultiHeadParams, MultiHeadResult) are defined once, in lib/support/types.ts.
export type { MultiHeadParams, MultiHeadResult } from "./support/types";

/**
 * Exercise 2.1: [B, T, d] → [B, h, T, d/h]. Head i takes features i·d/h … (i+1)·d/h − 1 of
 * every position (reshape to [B, T, h, d/h], then move the head axis before T).
 * If d is not divisible by numHeads, throw an Error naming splitHeads, d and numHeads.
 */
export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  return todo("2.1");
}

/**
 * Exercise 2.2: the inverse of splitHeads, [B, h, T, dh] → [B, T, h·dh].
 * An x of another rank must throw an Error naming mergeHeads and x's shape.
 */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  return todo("2.2");
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
 * Returns { output: [B, Tq, d], weights: [B, h, Tq, Tk] }.
 * Project with 2-D products (reshape x to [B·T, d], multiply by W, reshape back): in tfjs 4.22
 * the gradient of tf.matMul is wrong when batch dims broadcast ([B, T, d]·[d, d]), which would
 * break training through your function in section 11.
 */
export function multiHeadAttention(params: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  return todo("2.3");
}

/**
 * Exercise 2.4: the sinusoidal positional encoding of "Attention Is All You Need", [T, d]
 * (d even): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).
 * An odd d or a non-positive T must throw an Error naming sinusoidalPositionalEncoding.
 */
export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  return todo("2.4");
}
