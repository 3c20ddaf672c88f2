/**
 * Fresh, seeded parameters for the course's layers (the types of lib/support/types.ts), shared by
 * every model in lib/support/models/: Glorot-normal matrices, zero biases, layer norms 1 and 0.
 * Every tensor is a tf.Variable, so the same objects are trained, saved and passed to the
 * student's functions.
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderLayerParams, EncoderLayerParams, FeedForwardParams, LayerNormParams, MultiHeadParams } from "../types";
import { glorot, onesVar, zerosVar } from "../train";

/**
 * Hands out distinct seeds: every weight matrix draws from its own, so adding a layer never
 * changes the numbers of the others. tfjs ignores seed 0; the counter starts above it.
 */
export class SeedSequence {
  private next: number;
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed === 0) throw new Error(`SeedSequence: seed must be a non-zero integer, got ${seed}`);
    this.next = Math.abs(seed) * 1000 + 1;
  }
  take(): number {
    return this.next++;
  }
}

export function newLayerNormParams(d: number): LayerNormParams {
  return { gamma: onesVar([d]), beta: zerosVar([d]) };
}

export function newMultiHeadParams(d: number, numHeads: number, seeds: SeedSequence): MultiHeadParams {
  if (d % numHeads !== 0) throw new Error(`newMultiHeadParams: d = ${d} must be divisible by numHeads = ${numHeads}`);
  return {
    numHeads,
    wq: glorot([d, d], seeds.take()), bq: zerosVar([d]),
    wk: glorot([d, d], seeds.take()), bk: zerosVar([d]),
    wv: glorot([d, d], seeds.take()), bv: zerosVar([d]),
    wo: glorot([d, d], seeds.take()), bo: zerosVar([d]),
  };
}

export function newFeedForwardParams(d: number, dff: number, seeds: SeedSequence): FeedForwardParams {
  return { w1: glorot([d, dff], seeds.take()), b1: zerosVar([dff]), w2: glorot([dff, d], seeds.take()), b2: zerosVar([d]) };
}

export function newEncoderLayer(d: number, numHeads: number, dff: number, seeds: SeedSequence): EncoderLayerParams {
  return { selfAttn: newMultiHeadParams(d, numHeads, seeds), ffn: newFeedForwardParams(d, dff, seeds), norm1: newLayerNormParams(d), norm2: newLayerNormParams(d) };
}

export function newDecoderLayer(d: number, numHeads: number, dff: number, seeds: SeedSequence): DecoderLayerParams {
  return {
    selfAttn: newMultiHeadParams(d, numHeads, seeds),
    crossAttn: newMultiHeadParams(d, numHeads, seeds),
    ffn: newFeedForwardParams(d, dff, seeds),
    norm1: newLayerNormParams(d), norm2: newLayerNormParams(d), norm3: newLayerNormParams(d),
  };
}

/** Every tf.Variable inside a (nested) parameter object or array, in a fixed order. */
export function variablesOf(params: unknown): tf.Variable[] {
  const out: tf.Variable[] = [];
  const seen = new Set<tf.Variable>();
  const collect = (x: unknown): void => {
    if (x instanceof tf.Variable) {
      if (!seen.has(x)) out.push(x);
      seen.add(x);
    } else if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === "object" && !(x instanceof tf.Tensor)) Object.values(x).forEach(collect);
  };
  collect(params);
  return out;
}

/** A trained tensor with a stable name such as "layers.0.selfAttn.wq", for checkpoints and peers. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/**
 * Every tf.Variable inside a parameter object, named by its path ("layers.0.ffn.w1"), in a fixed
 * order (object keys in insertion order, arrays by index). Constants (plain tensors such as a
 * positional table) and non-tensor fields (config, numHeads) are skipped.
 */
export function namedVariables(params: unknown, prefix = ""): NamedVariable[] {
  const out: NamedVariable[] = [];
  const seen = new Set<tf.Variable>();
  const walk = (path: string, x: unknown): void => {
    if (x instanceof tf.Variable) {
      if (!seen.has(x)) out.push({ name: path, variable: x });
      seen.add(x);
    } else if (Array.isArray(x)) x.forEach((y, i) => walk(path ? `${path}.${i}` : String(i), y));
    else if (x && typeof x === "object" && !(x instanceof tf.Tensor)) for (const [k, v] of Object.entries(x)) walk(path ? `${path}.${k}` : k, v);
  };
  walk(prefix, params);
  return out;
}

/** Number of trained numbers in a parameter object. */
export function countParameters(params: unknown): number {
  return variablesOf(params).reduce((n, v) => n + v.size, 0);
}

/** Disposes every tensor inside a (nested) parameter object or array. */
export function disposeParams(params: unknown): void {
  const found: tf.Tensor[] = [];
  const collect = (x: unknown): void => {
    if (x instanceof tf.Tensor) found.push(x);
    else if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === "object") Object.values(x).forEach(collect);
  };
  collect(params);
  tf.dispose(found);
}

/**
 * The sinusoidal positional table of "Attention Is All You Need" (exercise 2.4's result), [n, d]
 * with d even: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)). For models
 * made without the exercise functions (a training task); tests check it equals the reference.
 */
export function sinusoidalTable(n: number, d: number): tf.Tensor2D {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 2 || d % 2 !== 0) throw new Error(`sinusoidalTable: need n >= 1 and an even d >= 2, got n = ${n}, d = ${d}`);
  const out = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i += 2) {
      const angle = p / Math.pow(10000, i / d);
      out[p * d + i] = Math.sin(angle);
      out[p * d + i + 1] = Math.cos(angle);
    }
  }
  return tf.tensor2d(out, [n, d]);
}
