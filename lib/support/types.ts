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

// ---------------------------------------------------------------------------------------------
// decoding.ts

/** One token of a sequence: a phoneme string ("HH") or a token id (12). */
export type Token = string | number;

/**
 * The tensors an encoder-decoder carries from one decoding step to the next, by name (the
 * model's own: the encoder's memory, a hidden state, the prefix so far, …). Every tensor has
 * one row per hypothesis being decoded (its first axis).
 */
export type DecoderState = Record<string, tf.Tensor>;

/** What DecodingModel.step returns. */
export interface DecoderStep {
  /** [N, V] log-probabilities of the next token, one row per row of the state. */
  logProbs: tf.Tensor;
  /** The state after the step (the tokens just fed are part of it). */
  state: DecoderState;
}

/**
 * What greedyDecode and beamSearch need from a trained encoder-decoder, whatever it is built
 * from (the Transformer of notebook 06 and its GRU baseline both provide one):
 *
 *   let state = model.start(src);                 // encode the sources once: one row per source
 *   const { logProbs, state: next } = model.step(state, tokens);   // feed one token per row
 *   const beams = model.selectRows(next, [0, 0, 0, 1, 1, 1]);      // copy/reorder/drop rows
 *
 * start, step and selectRows never dispose their arguments, and every tensor they return is a
 * new one (unchanged parts are tf.clone()s, which share data), so the caller can dispose each
 * state it has replaced: tf.dispose(Object.values(oldState)).
 */
export interface DecodingModel {
  /** The token fed at the first step ([BOS]). */
  readonly bosId: number;
  /** The token that ends an output ([EOS]). */
  readonly eosId: number;
  /** What fills an output after its [EOS] ([PAD]). */
  readonly padId: number;
  /** Size of the output vocabulary: the last axis of logProbs. */
  readonly vocabSize: number;
  /** Encodes sources src [B, Tx] int32 (padded with padId) → the state before the first step, row b for source b. */
  start(src: tf.Tensor): DecoderState;
  /** One decoding step: tokens [N] int32 (each row's previous token; bosId at the first step) → the next token's log-probabilities and the new state. */
  step(state: DecoderState, tokens: tf.Tensor): DecoderStep;
  /** The state with rows in a new order: row i of the result is row rows[i] of `state` (rows may repeat or be left out). */
  selectRows(state: DecoderState, rows: readonly number[]): DecoderState;
}

export interface BeamSearchOptions {
  /** Hypotheses kept per source (an integer >= 1); 1 is greedy decoding. */
  beamWidth: number;
  /** Most tokens per output ([EOS] included). */
  maxLen: number;
  /**
   * α of the length normalisation score = logProb / length^α (length: the hypothesis's tokens,
   * [EOS] included). 0 ranks by the raw log-probability, which favours short outputs; default 1.
   */
  lengthPenalty?: number;
}

/** One output of beam search. */
export interface Hypothesis {
  /** The tokens after [BOS], ending with [EOS] if it finished. */
  tokens: number[];
  /** log P(tokens | source): the sum of the log-probabilities of its tokens. */
  logProb: number;
  /** logProb / tokens.length^α, what hypotheses are ranked by. */
  score: number;
  /** false if it was cut at maxLen without an [EOS]. */
  finished: boolean;
}

/** What beamSearch returns. */
export interface BeamSearchResult {
  /** [B, maxLen] int32, laid out as greedyDecode's: the best hypothesis of each source, padId after its [EOS]. */
  tokens: tf.Tensor;
  /** For each source, every hypothesis it kept (finished ones, and those cut at maxLen), best score first. */
  hypotheses: Hypothesis[][];
}

// ---------------------------------------------------------------------------------------------
// vit.ts

/** The patch embedding: one linear map applied to every flattened patch. */
export interface PatchEmbedParams {
  /** [p·p·C, d] */
  w: tf.Tensor;
  /** [d] */
  b: tf.Tensor;
}

/** The learned [CLS] token and the learned position embeddings. */
export interface ClsPositionParams {
  /** [d]: the [CLS] token's embedding, the same for every image. */
  cls: tf.Tensor;
  /** [N + 1, d]: row 0 belongs to [CLS], row i to patch i (i = 1 … N). */
  positions: tf.Tensor;
}

/** Injected weights of a Vision Transformer classifier (a ClsPositionParams with the rest). */
export interface VitParams extends ClsPositionParams {
  /** p: images are cut into p×p patches (p divides the image height and width). */
  patchSize: number;
  patchEmbed: PatchEmbedParams;
  /** The pre-norm encoder layers of notebook 03. */
  layers: EncoderLayerParams[];
  /** Applied to the [CLS] position after the last layer. */
  finalNorm: LayerNormParams;
  /** The classifier: logits = LN(x_cls)·w + b, w [d, numClasses], b [numClasses]. */
  head: { w: tf.Tensor; b: tf.Tensor };
}

/** What vitForward returns. */
export interface VitResult {
  /** [B, numClasses] */
  logits: tf.Tensor;
  /** One [B, h, N + 1, N + 1] per layer: each head's self-attention weights (position 0 is [CLS]). */
  attention: tf.Tensor[];
}
