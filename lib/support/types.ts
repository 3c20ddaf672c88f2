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
// bert.ts

/**
 * The label of a position that is not scored: mlmMask puts it wherever nothing was masked, and
 * the losses skip it (PyTorch's default ignore_index).
 */
export const IGNORE_INDEX = -100;

/** Options of mlmMask. */
export interface MlmMaskOptions {
  /** The id that replaces a masked token ([MASK]). */
  maskId: number;
  /** Every id lies in [0, vocabSize). */
  vocabSize: number;
  /** Fraction of the eligible positions to choose (default 0.15). */
  rate?: number;
  /** A positive integer: the same seed gives the same choice on every run. */
  seed: number;
  /**
   * Ids that are never chosen and never drawn as a random replacement: [PAD], [CLS], [SEP],
   * [MASK] … (the tokenizers' SPECIAL_IDS). Must include the padding id.
   */
  specialIds: readonly number[];
}

/** What mlmMask returns: both int32, the shape of its ids. */
export interface MlmMaskResult {
  /** The corrupted ids the model reads. */
  inputs: tf.Tensor;
  /** The original id at every chosen position, IGNORE_INDEX everywhere else. */
  labels: tf.Tensor;
}

/** A dense layer's weights: y = x·w + b, w [d_in, d_out], b [d_out]. */
export interface DenseParams {
  w: tf.Tensor;
  b: tf.Tensor;
}

/**
 * BERT's classification head on the pooled [CLS] vector (d wide, C classes):
 * logits = tanh(pooled·pooler.w + pooler.b)·output.w + output.b.
 */
export interface ClassifierHeadParams {
  /** w [d, d], b [d]: BERT's "pooler". */
  pooler: DenseParams;
  /** w [d, C], b [C]. */
  output: DenseParams;
}

/** The weights of an encoder-only Transformer (model width d, vocabulary V, up to `context` positions). */
export interface EncoderParams {
  /** [V, d]: one learned vector per token id. */
  tokenEmbedding: tf.Tensor;
  /** [context, d]: one learned vector per position (row t is added at position t). */
  positionEmbedding: tf.Tensor;
  /** The stack of pre-norm encoder layers (notebook 03's encoderLayer). */
  layers: EncoderLayerParams[];
  /** The layer norm after the last layer (a pre-norm stack ends without one otherwise). */
  finalNorm: LayerNormParams;
}

/** What encoderForward returns. */
export interface EncoderResult {
  /** [B, T, d]: one vector per position, after the final layer norm. */
  output: tf.Tensor;
  /** One [B, h, T, T] tensor per layer: each head's self-attention weights. */
  weights: tf.Tensor[];
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
