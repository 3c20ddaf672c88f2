/**
 * A decoder-only (GPT-style) language model: token and learned position embeddings, a stack of
 * pre-norm blocks with causal self-attention (an encoder layer under a causal mask), a final
 * layer norm and a linear output layer.
 *
 *   (B, T) ids → embed (B, T, d) → N × block → LN → (B, T, V) logits
 *
 * The plain forward pass is exercise 5.4 (gptForward in lib/gpt.ts, reference in solutions/gpt.ts),
 * written from the student's own blocks; the cached decoding step is exercise 5.3
 * (decodeStepWithCache). This file does not compose the plain model itself (a student could
 * otherwise hand exercise 5.4 to it): everything here that runs "the model" takes the forward
 * pass or the decoding step as an argument, so a notebook passes the student's functions in.
 * What it has of its own, on the same parameter objects:
 * - gptForwardFast(params, ids) and decodeStepFast(params, token, cache): the fast path
 *   (lib/support/fast), ~10× faster to train on wasm, with its cache as [B, t, 2d] per layer;
 * - generateCached(step, …) / generateUncached(forward, …): generation from any step or forward
 *   pass and any sampler (exercise 5.2);
 * - gptAttentionFrom(blocks, …): every layer's attention weights, from the encoderLayer passed in,
 *   for plots.
 * The tests check that all of them give the same logits (tests/unit/gpt.test.ts,
 * tests/unit/fast-layers.test.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { encoderLayer as fastEncoderLayer, encoderLayerStep as fastEncoderLayerStep } from "../fast/layers";
import { seededRandom } from "../random";
import { embed, glorot, zerosVar } from "../train";
import type { EncoderLayerParams, EncoderLayerResult, GptConfig, GptParams, KVCache, SampleOptions } from "../types";
import { NamedVariable, namedVariables, newEncoderLayer, newLayerNormParams, SeedSequence, variablesOf } from "./params";

export type { GptConfig, GptParams } from "../types";

/** The exercise functions gptAttentionFrom runs (the student's or the reference). */
export interface GptBlocks {
  encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult;
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

/**
 * Throws a LabInputError unless ids is an int32 [B, T] tensor with 1 ≤ T ≤ the context and every
 * id in [0, V). (Reads the ids back: a few hundred integers, negligible next to a forward pass.)
 */
export function checkGptIds(fn: string, params: GptParams, ids: tf.Tensor): void {
  checkGptParams(fn, params);
  if (!(ids instanceof tf.Tensor) || ids.isDisposed || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new LabInputError(`${fn}: argument "ids" must be an int32 tensor [B, T], got ${ids instanceof tf.Tensor ? `${ids.isDisposed ? "a disposed tensor " : ""}${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  const { context, vocabSize } = params.config;
  const t = ids.shape[1] as number;
  if (ids.size === 0) throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} hold no tokens`);
  if (t > context) {
    throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} are longer than the model's context of ${context} positions (it has no position embedding beyond ${context - 1}); keep the last ${context} tokens or shorten the input`);
  }
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= vocabSize) {
      throw new LabInputError(`${fn}: ids[${Math.floor(i / t)}][${i % t}] = ${values[i]} is not a token id (the vocabulary has ids 0 to ${vocabSize - 1})`);
    }
  }
}

/** Throws a LabInputError unless params looks like createGpt's output (config, embeddings, layers, head). */
export function checkGptParams(fn: string, params: GptParams): void {
  const c = params?.config;
  if (typeof params !== "object" || params === null || typeof c !== "object" || c === null) {
    throw new LabInputError(`${fn}: argument "params" must be a GPT's parameters (from createGpt or a task's model.params), got ${params === null ? "null" : typeof params}`);
  }
  const expect = (name: string, t: unknown, shape: number[]) => {
    if (!(t instanceof tf.Tensor) || fmtShape(t.shape) !== fmtShape(shape)) {
      throw new LabInputError(`${fn}: params.${name} must be a tensor ${fmtShape(shape)} for config ${JSON.stringify(c)}, got ${t instanceof tf.Tensor ? fmtShape(t.shape) : typeof t}`);
    }
  };
  expect("tokenEmbedding", params.tokenEmbedding, [c.vocabSize, c.d]);
  expect("positionEmbedding", params.positionEmbedding, [c.context, c.d]);
  expect("head.w", params.head?.w, [c.d, c.vocabSize]);
  if (!Array.isArray(params.layers) || params.layers.length !== c.numLayers) {
    throw new LabInputError(`${fn}: params.layers must be an array of ${c.numLayers} encoder-layer parameter objects, got ${Array.isArray(params.layers) ? `${params.layers.length}` : typeof params.layers}`);
  }
}

/**
 * Every layer's attention weights for ids [B, T], from `blocks`: one [B, h, T, T] tensor per layer
 * (row i: how position i spreads its attention over positions 0 … i). For plots; the caller disposes.
 */
export function gptAttentionFrom(blocks: GptBlocks, params: GptParams, ids: tf.Tensor): tf.Tensor[] {
  checkGptIds("gptAttentionFrom", params, ids);
  const t = ids.shape[1] as number;
  return tf.tidy(() => {
    let x = tf.add(embed(params.tokenEmbedding, ids), tf.slice(params.positionEmbedding, [0, 0], [t, params.config.d]));
    const mask = blocks.causalMask(t);
    return params.layers.map((layer) => {
      const r = blocks.encoderLayer(layer, x, mask);
      x = r.output;
      return r.selfWeights;
    });
  });
}

/** The same logits on the fast path. */
export function gptForwardFast(params: GptParams, ids: tf.Tensor): tf.Tensor {
  checkGptIds("gptForwardFast", params, ids);
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

// ---------------------------------------------------------------------------------------------
// Decoding one token at a time with a key/value cache

/**
 * The fast path's cache: for each layer, the keys and values of every position so far side by
 * side, [B, t, 2d] (k then v, heads as columns: the layout fast.crossAttention reads). The course's
 * KVCache (exercise 5.3) holds the same numbers split into heads, [B, h, t, dh] for k and for v.
 */
export interface FastKVCache {
  layers: tf.Tensor[];
}

/** Positions held by a cache of either layout (0 for null). */
export function cacheLength(cache: KVCache | FastKVCache | null): number {
  if (cache === null || cache === undefined) return 0;
  const first = cache.layers[0] as tf.Tensor | LayerKVLike | undefined;
  if (first === undefined) return 0;
  return first instanceof tf.Tensor ? (first.shape[1] as number) : (first.k.shape[2] as number);
}

type LayerKVLike = { k: tf.Tensor; v: tf.Tensor };

/**
 * Throws a LabInputError unless `token` is B ids of the vocabulary, `cache` is null or holds one
 * entry per layer for the same B, and the context has room for one more position. Returns B.
 */
export function checkDecodeStep(fn: string, params: GptParams, token: readonly number[], cache: KVCache | FastKVCache | null): number {
  checkGptParams(fn, params);
  const { vocabSize, context, numLayers } = params.config;
  if (!Array.isArray(token) || token.length === 0) {
    throw new LabInputError(`${fn}: argument "token" must be a non-empty array with one token id per sequence (e.g. [BOS_ID]), got ${Array.isArray(token) ? "[]" : typeof token}`);
  }
  token.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new LabInputError(`${fn}: token[${i}] = ${id} is not a token id (the vocabulary has ids 0 to ${vocabSize - 1})`);
  });
  if (cache === null || cache === undefined) return token.length;
  if (typeof cache !== "object" || !Array.isArray(cache.layers) || cache.layers.length !== numLayers) {
    throw new LabInputError(`${fn}: argument "cache" must be null (first step) or the cache the previous step returned, with one entry per layer (${numLayers}); got ${typeof cache === "object" && Array.isArray(cache?.layers) ? `${cache.layers.length} entries` : typeof cache}`);
  }
  const t = cacheLength(cache);
  const batchOf = (x: tf.Tensor | LayerKVLike): number => (x instanceof tf.Tensor ? x.shape[0] : x.k.shape[0]) as number;
  const b = batchOf(cache.layers[0] as tf.Tensor | LayerKVLike);
  if (b !== token.length) throw new LabInputError(`${fn}: the cache holds ${b} sequences but "token" has ${token.length} ids`);
  if (t >= context) {
    throw new LabInputError(`${fn}: the cache already holds ${t} positions, the model's whole context (${context}); there is no position embedding for another token. Stop generating here (or start again from a shorter prompt).`);
  }
  return b;
}

/** Token rows plus the position row for position t: [B, 1, d]. */
function embedStep(params: GptParams, token: readonly number[], t: number, lookup: (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor): tf.Tensor {
  const ids = tf.tensor2d(token as number[], [token.length, 1], "int32");
  return tf.add(lookup(params.tokenEmbedding, ids), tf.slice(params.positionEmbedding, [t, 0], [1, params.config.d])); // [B, 1, d]
}

/**
 * One decoding step on the fast path: the logits [B, V] after `token` (one id per sequence) at
 * position t = cacheLength(cache), and the cache with this position's keys and values appended.
 * Same numbers as row t of gptForwardFast on the whole sequence (and as exercise 5.3). The input
 * cache is left as it was (its tensors stay the caller's to dispose); the result is all new tensors.
 */
export function decodeStepFast(params: GptParams, token: readonly number[], cache: FastKVCache | null): { logits: tf.Tensor; cache: FastKVCache } {
  checkDecodeStep("decodeStepFast", params, token, cache);
  const t = cacheLength(cache);
  return tf.tidy(() => {
    let x = embedStep(params, token, t, fast.embedding);
    const layers: tf.Tensor[] = [];
    params.layers.forEach((layer, i) => {
      const step = fastEncoderLayerStep(layer, x, cache === null ? null : cache.layers[i]);
      x = step.output;
      layers.push(step.kv);
    });
    const h = fast.layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
    const logits = tf.reshape(fast.linear(h, params.head.w, params.head.b), [token.length, params.config.vocabSize]);
    return { logits, cache: { layers } } as unknown as tf.TensorContainer;
  }) as unknown as { logits: tf.Tensor; cache: FastKVCache };
}

/** A decoding step with a cache: exercise 5.3 (decodeStepWithCache) or decodeStepFast. */
export type DecodeStep<C> = (params: GptParams, token: readonly number[], cache: C | null) => { logits: tf.Tensor; cache: C };
/** A full forward pass ids [B, T] → logits [B, T, V]: exercise 5.4 (gptForward) or gptForwardFast. */
export type GptForward = (params: GptParams, ids: tf.Tensor) => tf.Tensor;
/** Exercise 5.2 (sampleNext) or the reference. */
export type Sampler = (logits: tf.Tensor, opts: SampleOptions) => number[];

export interface GenerateOptions {
  /** Turns each step's logits [B, V] into B next tokens (exercise 5.2). */
  sample: Sampler;
  /** Default 1; 0 = greedy. */
  temperature?: number;
  topK?: number;
  /** Non-zero integer; each step samples with its own seed drawn from seededRandom(seed). Needed unless temperature is 0. */
  seed?: number;
  /** A row is finished once it produced this id (e.g. EOS_ID); it gets no further tokens. */
  stopId?: number;
  /** Longest sequence, prompt included (default and at most the model's context). */
  maxLength?: number;
  /** Keep every step's logits: Generated.logits [B, L, V] for the L tokens fed (the caller disposes it). */
  keepLogits?: boolean;
}

export interface Generated {
  /** Each row: its prompt, then the generated ids, up to and including stopId when it came. */
  sequences: number[][];
  /** Whether the row produced stopId (false: it reached maxLength first). */
  finished: boolean[];
  /** [B, L]: every token fed to the model, row by row (finished rows keep being fed their samples). */
  fed: number[][];
  /** [B, L, V] when keepLogits: the logits after each fed token (row p predicts token p + 1). */
  logits?: tf.Tensor;
}

function checkPrompts(fn: string, params: GptParams, prompts: readonly (readonly number[])[], maxLength: number): void {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new LabInputError(`${fn}: argument "prompts" must be a non-empty array of token-id arrays (one per sequence), got ${Array.isArray(prompts) ? "[]" : typeof prompts}`);
  const n = prompts[0]?.length;
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new LabInputError(`${fn}: prompts[${i}] must hold at least one token id (a sequence starts with BOS_ID), got ${Array.isArray(p) ? "[]" : typeof p}`);
    if (p.length !== n) throw new LabInputError(`${fn}: every prompt in one call must have the same length (prompts[0] has ${n} ids, prompts[${i}] has ${p.length}); generate prompts of other lengths in separate calls`);
    p.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= params.config.vocabSize) throw new LabInputError(`${fn}: prompts[${i}][${j}] = ${id} is not a token id (0 to ${params.config.vocabSize - 1})`);
    });
  });
  if (n >= maxLength) {
    throw new LabInputError(`${fn}: prompts of ${n} tokens leave no room to generate: the limit is ${maxLength} tokens (the model's context is ${params.config.context}, and its learned positions end there). Use a prompt of at most ${maxLength - 1} tokens.`);
  }
}

function resolveMaxLength(fn: string, params: GptParams, maxLength: number | undefined): number {
  const m = maxLength ?? params.config.context;
  if (!Number.isInteger(m) || m < 2 || m > params.config.context) throw new LabInputError(`${fn}: option "maxLength" must be an integer in [2, ${params.config.context}] (the model's context), got ${maxLength}`);
  return m;
}

/** The seed of each sampling step, drawn from one generator, so one seed fixes a whole generation. */
function stepSeeds(seed: number | undefined, temperature: number | undefined): () => number | undefined {
  if (temperature === 0) return () => seed;
  if (seed === undefined) return () => undefined; // sample() itself says that a seed is needed
  const rng = seededRandom(seed);
  return () => 1 + Math.floor(rng() * 2147483646);
}

/** Disposes what `old` holds that `next` does not (a step may pass tensors through unchanged). */
function disposeReplaced(old: unknown, next: unknown): void {
  const collect = (x: unknown, into: Set<tf.Tensor>) => {
    if (x instanceof tf.Tensor) into.add(x);
    else if (Array.isArray(x)) x.forEach((y) => collect(y, into));
    else if (x && typeof x === "object") Object.values(x).forEach((y) => collect(y, into));
  };
  const a = new Set<tf.Tensor>();
  const b = new Set<tf.Tensor>();
  collect(old, a);
  collect(next, b);
  tf.dispose([...a].filter((t) => !b.has(t)));
}

/**
 * Generates with a key/value cache: feeds each prompt token through `step` (filling the cache),
 * then samples one token per step and feeds it back, until every row produced stopId or reached
 * maxLength. Each step costs the same (one position through the model). Rows are a batch: all
 * prompts have the same length. Leaves no tensors behind (except `logits` when kept).
 */
export function generateCached<C>(step: DecodeStep<C>, params: GptParams, prompts: readonly (readonly number[])[], opts: GenerateOptions): Generated {
  const fn = "generateCached";
  const maxLength = resolveMaxLength(fn, params, opts.maxLength);
  checkPrompts(fn, params, prompts, maxLength);
  const n = prompts[0].length;
  const rows = prompts.map((p) => p.slice()); // every row in lockstep, finished ones included
  const run = new Run(prompts, opts);
  const kept: tf.Tensor[] = [];
  let cache: C | null = null;
  try {
    for (let pos = 0; ; pos++) {
      const out = step(params, rows.map((r) => r[pos]), cache);
      disposeReplaced(cache, out.cache);
      cache = out.cache;
      try {
        if (opts.keepLogits) kept.push(tf.clone(out.logits));
        if (pos + 1 < n) continue; // still reading the prompt
        if (run.take(out.logits, rows, maxLength)) break;
      } finally {
        tf.dispose(out.logits);
      }
    }
    const logits = opts.keepLogits ? tf.tidy(() => tf.stack(kept, 1)) : undefined;
    return { sequences: run.sequences, finished: run.finished, fed: rows.map((r) => r.slice(0, -1)), logits };
  } finally {
    tf.dispose(kept);
    disposeReplaced(cache, null);
  }
}

/** Sampling bookkeeping shared by both generators. */
class Run {
  readonly sequences: number[][];
  readonly finished: boolean[];
  private readonly nextSeed: () => number | undefined;
  constructor(prompts: readonly (readonly number[])[], private readonly opts: GenerateOptions) {
    this.sequences = prompts.map((p) => p.slice());
    this.finished = prompts.map(() => false);
    this.nextSeed = stepSeeds(opts.seed, opts.temperature);
  }
  /** Samples the next token of every row from logits [B, V] and appends it; true when generation is over. */
  take(logits: tf.Tensor, rows: number[][], maxLength: number): boolean {
    const sampled = this.opts.sample(logits, { temperature: this.opts.temperature, topK: this.opts.topK, seed: this.nextSeed() });
    if (!Array.isArray(sampled) || sampled.length !== rows.length) throw new Error(`generate: the sampler returned ${Array.isArray(sampled) ? sampled.length : typeof sampled} ids for ${rows.length} rows`);
    sampled.forEach((id, r) => {
      rows[r].push(id);
      if (this.finished[r]) return;
      this.sequences[r].push(id);
      if (id === this.opts.stopId) this.finished[r] = true;
    });
    return this.finished.every(Boolean) || rows[0].length >= maxLength;
  }
}

/**
 * The same generation without a cache: every step runs the whole sequence so far through
 * `forward` and keeps only the last position's logits, so step n costs a pass over n tokens.
 * Given the same sampler and seed it produces the same sequences as generateCached.
 */
export function generateUncached(forward: GptForward, params: GptParams, prompts: readonly (readonly number[])[], opts: GenerateOptions): Generated {
  const fn = "generateUncached";
  const maxLength = resolveMaxLength(fn, params, opts.maxLength);
  checkPrompts(fn, params, prompts, maxLength);
  const rows = prompts.map((p) => p.slice());
  const run = new Run(prompts, opts);
  const b = rows.length;
  const vocab = params.config.vocabSize;
  for (;;) {
    const t = rows[0].length;
    const last = tf.tidy(() => {
      const logits = forward(params, tf.tensor2d(rows, [b, t], "int32")); // [B, t, V]: all of it recomputed
      return tf.reshape(tf.slice(logits, [0, t - 1, 0], [b, 1, vocab]), [b, vocab]);
    });
    let done: boolean;
    try {
      done = run.take(last, rows, maxLength);
    } finally {
      tf.dispose(last);
    }
    if (done) break;
  }
  const fed = rows.map((r) => r.slice(0, -1));
  const logits = opts.keepLogits ? tf.tidy(() => forward(params, tf.tensor2d(fed, [b, fed[0].length], "int32"))) : undefined;
  return { sequences: run.sequences, finished: run.finished, fed, logits };
}
