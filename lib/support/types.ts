/**
 * The data types exercises take and return: one definition, shared by your files in lib/, the
 * reference in solutions/ and the support code (both lib/ and solutions/ re-export them).
 */
import type * as tf from "@tensorflow/tfjs";

// ---------------------------------------------------------------------------------------------
// attention.ts

/** What scaledDotProductAttention returns. */
export interface AttentionResult {
  /** [..., Tq, dv]: for each query, the weighted average of the values. */
  output: tf.Tensor;
  /** [..., Tq, Tk]: how much query i attends to key j; each row sums to 1 (0 for a fully masked row). */
  weights: tf.Tensor;
}

// ---------------------------------------------------------------------------------------------
// multihead.ts

/** Injected weights of one multi-head attention layer (model width d, h heads, d divisible by h). */
export interface MultiHeadParams {
  numHeads: number;
  /** [d, d] query, key, value and output projections: y = x·W (+ b). */
  wq: tf.Tensor;
  wk: tf.Tensor;
  wv: tf.Tensor;
  wo: tf.Tensor;
  /** Optional [d] biases. */
  bq?: tf.Tensor;
  bk?: tf.Tensor;
  bv?: tf.Tensor;
  bo?: tf.Tensor;
}

/** What multiHeadAttention returns. */
export interface MultiHeadResult {
  /** [B, Tq, d] */
  output: tf.Tensor;
  /** [B, h, Tq, Tk]: each head's attention weights. */
  weights: tf.Tensor;
}

// ---------------------------------------------------------------------------------------------
// blocks.ts

/** Learned scale and shift of a layer norm, each [d]. */
export interface LayerNormParams {
  gamma: tf.Tensor;
  beta: tf.Tensor;
}

/** Position-wise feed-forward weights: w1 [d, dff], b1 [dff], w2 [dff, d], b2 [d]. */
export interface FeedForwardParams {
  w1: tf.Tensor;
  b1: tf.Tensor;
  w2: tf.Tensor;
  b2: tf.Tensor;
}

export interface EncoderLayerParams {
  selfAttn: MultiHeadParams;
  ffn: FeedForwardParams;
  /** Before self-attention. */
  norm1: LayerNormParams;
  /** Before the feed-forward network. */
  norm2: LayerNormParams;
}

export interface DecoderLayerParams {
  selfAttn: MultiHeadParams;
  crossAttn: MultiHeadParams;
  ffn: FeedForwardParams;
  /** Before masked self-attention. */
  norm1: LayerNormParams;
  /** Before cross-attention (applied to the decoder stream only, not to memory). */
  norm2: LayerNormParams;
  /** Before the feed-forward network. */
  norm3: LayerNormParams;
}

export interface EncoderLayerResult {
  /** [B, T, d] */
  output: tf.Tensor;
  /** [B, h, T, T] */
  selfWeights: tf.Tensor;
}

export interface DecoderLayerResult {
  /** [B, Ty, d] */
  output: tf.Tensor;
  /** [B, h, Ty, Ty]: masked self-attention. */
  selfWeights: tf.Tensor;
  /** [B, h, Ty, Tx]: decoder positions over encoder positions. */
  crossWeights: tf.Tensor;
}

// ---------------------------------------------------------------------------------------------
// gpt.ts

/** The shapes of a decoder-only (GPT-style) model. */
export interface GptConfig {
  vocabSize: number;
  /** Longest sequence the model reads (the length of its position table). */
  context: number;
  /** Model width. */
  d: number;
  numHeads: number;
  /** Hidden width of the feed-forward networks. */
  dff: number;
  numLayers: number;
}

/**
 * A GPT's weights: token and learned position embeddings, a stack of pre-norm blocks (encoder
 * layers, run under a causal mask), a final layer norm and the output layer.
 */
export interface GptParams {
  config: GptConfig;
  /** [V, d] */
  tokenEmbedding: tf.Tensor;
  /** [context, d]: row p is added to the token at position p. */
  positionEmbedding: tf.Tensor;
  layers: EncoderLayerParams[];
  finalNorm: LayerNormParams;
  /** Output layer: logits = LN(x)·w + b, w [d, V], b [V]. */
  head: { w: tf.Tensor; b: tf.Tensor };
}

/** How sampleNext turns logits into a token. */
export interface SampleOptions {
  /** Divides the logits before the softmax (default 1); 0 means greedy (arg-max). */
  temperature?: number;
  /** Sample only among the k most likely tokens (an integer in [1, V]; default: all V). */
  topK?: number;
  /** Non-zero integer seed of seededRandom (lib/support/random.ts); required when temperature > 0. */
  seed?: number;
}

/** The keys and values of one layer for every position decoded so far. */
export interface LayerKV {
  /** [B, h, t, dh]: the keys of positions 0 … t−1, split into heads (as splitHeads returns them). */
  k: tf.Tensor;
  /** [B, h, t, dh]: their values. */
  v: tf.Tensor;
}

/** What decodeStepWithCache carries from one step to the next: one LayerKV per layer. */
export interface KVCache {
  layers: LayerKV[];
}

/** What decodeStepWithCache returns. */
export interface DecodeStepResult {
  /** [B, V]: the next-token logits after this step's token. */
  logits: tf.Tensor;
  /** The cache with this step's keys and values appended (t + 1 positions). */
  cache: KVCache;
}

// ---------------------------------------------------------------------------------------------
// efficient.ts

/** How tiledAttention cuts the work into blocks. */
export interface TiledAttentionOptions {
  /** Queries per block: an integer >= 1 (it need not divide Tq; the last block is shorter). */
  blockQ: number;
  /** Keys per block: an integer >= 1 (it need not divide Tk). */
  blockK: number;
  /** Query i may attend to keys j <= i only (default false); needs Tq = Tk. */
  causal?: boolean;
}

/** Linformer's projections along the sequence axis, each [k, n] for keys/values of length n. */
export interface LinformerProjections {
  /** [k, n]: projects the keys, E·K. */
  E: tf.Tensor;
  /** [k, n]: projects the values, F·V. */
  F: tf.Tensor;
}

/** The Performer's random features. */
export interface PerformerOptions {
  /** m, the number of random features: an integer >= 1. */
  numFeatures: number;
  /** Non-zero integer seed of performerFeatures (lib/support/efficient.ts). */
  seed: number;
}

/** Longformer's attention pattern. */
export interface SlidingWindowOptions {
  /** w: query i sees keys j with |i − j| <= w; an integer in [0, n]. */
  window: number;
  /** Positions (distinct integers in [0, n)) that attend to every key and that every query attends to. */
  globalTokens?: readonly number[];
}
