/**
 * An encoder-decoder Transformer (the T5 family's layout: a pre-norm encoder stack, a pre-norm
 * decoder stack with cross-attention, a final layer norm after each, and an output layer tied
 * to the decoder's embedding table).
 *
 *   src (B, Tx) → embed·√d + positions → N × encoder layer → LN → memory (B, Tx, d)
 *   tgtIn (B, Ty) → embed·√d + positions → N × decoder layer (causal self-attention,
 *                   cross-attention over memory) → LN → · Eᵀ + b → logits (B, Ty, V)
 *
 * Source and target share one embedding table (the toy task of notebook 03) or, with
 * srcVocabSize, each has its own (spelling in, phonemes out in notebook 06). With srcPadId,
 * source positions holding that id are padding: no encoder query and no decoder query attends
 * to them. Positions are the sinusoidal table of exercise 2.4 (a constant, not trained).
 *
 * Ways to run the same parameters:
 * - encode / decode / forward(blocks, model, …): built from the exercise functions passed in
 *   (the student's lib/ or the reference solutions/), differentiated by tfjs: readable, slow.
 * - forwardFast(model, src, tgtIn): the fast path (lib/support/fast), for training.
 * - decodingModel(blocks, model, tokens) and decodingModelFast(model, tokens): the DecodingModel
 *   that greedyDecode and beamSearch (exercises 6.1, 6.2) drive; the fast one keeps a key/value
 *   cache, so a step computes one new position instead of the whole prefix.
 * The agreement tests (tests/unit/models-seq2seq.test.ts) check that all of them agree.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { decoderLayer as fastDecoderLayer, decoderLayerStep, encoderLayer as fastEncoderLayer, keyValueProjection } from "../fast/layers";
import { embed, zerosVar } from "../train";
import type { DecoderLayerParams, DecoderLayerResult, DecoderState, DecodingModel, EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../types";
import { checkStepTokens, DecodingTokens, selectStateRows, stateRows } from "./decoding";
import { namedVariables, NamedVariable, newDecoderLayer, newEncoderLayer, newLayerNormParams, SeedSequence, sinusoidalTable, variablesOf } from "./params";

/** The functions the model is built from: the student's or the reference, never mixed in here. */
export interface Seq2SeqBlocks {
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps?: number): tf.Tensor;
  encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult;
  decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, selfMask: tf.Tensor, memoryMask?: tf.Tensor): DecoderLayerResult;
  causalMask(n: number): tf.Tensor;
  sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor;
}

export interface Seq2SeqConfig {
  /** Target token ids (decoder input and output); also the source's, unless srcVocabSize is given. */
  vocabSize: number;
  /** A separate source vocabulary with its own embedding table. */
  srcVocabSize?: number;
  /** Model width. */
  d: number;
  numHeads: number;
  /** Hidden width of the feed-forward networks. */
  dff: number;
  /** Encoder layers, and as many decoder layers. */
  numLayers: number;
  /** Longest sequence (source or target) the positional table covers. */
  maxLen: number;
  /** The source id that marks padding (masked as a key everywhere); without it nothing is masked. */
  srcPadId?: number;
}

export interface Seq2SeqModel {
  config: Seq2SeqConfig;
  /** [V, d]: the decoder's input embedding and (transposed) its output layer; the source's too without srcEmbedding. */
  embedding: tf.Variable;
  /** [srcVocabSize, d]: the source's own embedding table; only with config.srcVocabSize. */
  srcEmbedding?: tf.Variable;
  /** [V] output bias. */
  outBias: tf.Variable;
  encoder: EncoderLayerParams[];
  decoder: DecoderLayerParams[];
  /** Pre-norm stacks end with one more layer norm: on the memory, and before the output layer. */
  encoderNorm: LayerNormParams;
  decoderNorm: LayerNormParams;
  /** [maxLen, d] sinusoidal positions (a constant, not trained). */
  positions: tf.Tensor;
}

export interface EncodeResult {
  /** [B, Tx, d], after the encoder's final layer norm. */
  memory: tf.Tensor;
  /** One [B, h, Tx, Tx] per encoder layer. */
  selfWeights: tf.Tensor[];
}

export interface DecodeResult {
  /** [B, Ty, V] */
  logits: tf.Tensor;
  /** One [B, h, Ty, Ty] per decoder layer. */
  selfWeights: tf.Tensor[];
  /** One [B, h, Ty, Tx] per decoder layer: decoder positions over encoder positions. */
  crossWeights: tf.Tensor[];
}

/**
 * Fresh parameters, Glorot-normal from `seed` (non-zero): the same seed gives the same model.
 * The positional table comes from `blocks` (exercise 2.4) when given, else from the support
 * code's own copy (lib/support/models/params.ts), e.g. for a training task.
 */
export function createSeq2Seq(blocks: Pick<Seq2SeqBlocks, "sinusoidalPositionalEncoding"> | undefined, config: Seq2SeqConfig, seed: number): Seq2SeqModel {
  if (!Number.isInteger(seed) || seed === 0) throw new Error(`createSeq2Seq: seed must be a non-zero integer, got ${seed}`);
  const { d, dff, numHeads, numLayers, vocabSize, maxLen, srcVocabSize } = config;
  if (d % numHeads !== 0) throw new Error(`createSeq2Seq: d = ${d} must be divisible by numHeads = ${numHeads}`);
  const seeds = new SeedSequence(seed);
  // tf.variable keeps its initial value alive as a second tensor; the tidy frees those copies.
  const model = tf.tidy(() => {
    const encoder = Array.from({ length: numLayers }, () => newEncoderLayer(d, numHeads, dff, seeds));
    const decoder = Array.from({ length: numLayers }, () => newDecoderLayer(d, numHeads, dff, seeds));
    const table = (v: number) => tf.variable(tf.randomNormal([v, d], 0, 1 / Math.sqrt(d), "float32", seeds.take()), true);
    const embedding = table(vocabSize);
    const srcEmbedding = srcVocabSize === undefined ? undefined : table(srcVocabSize);
    return {
      config, embedding, ...(srcEmbedding ? { srcEmbedding } : {}), outBias: zerosVar([vocabSize]), encoder, decoder,
      encoderNorm: newLayerNormParams(d), decoderNorm: newLayerNormParams(d),
      positions: blocks ? blocks.sinusoidalPositionalEncoding(maxLen, d) : sinusoidalTable(maxLen, d),
    } as unknown as tf.TensorContainer;
  }) as unknown as Seq2SeqModel;
  return model;
}

/** The trained tensors with stable names ("encoder.0.selfAttn.wq", "embedding", …), for checkpoints. */
export function namedSeq2SeqVariables(model: Seq2SeqModel): NamedVariable[] {
  const { embedding, srcEmbedding, outBias, encoder, decoder, encoderNorm, decoderNorm } = model;
  return namedVariables({ embedding, ...(srcEmbedding ? { srcEmbedding } : {}), outBias, encoder, decoder, encoderNorm, decoderNorm });
}

/** Every trainable tensor of the model (what the optimiser updates). */
export function seq2seqVariables(model: Seq2SeqModel): tf.Variable[] {
  return variablesOf(namedSeq2SeqVariables(model).map((n) => n.variable));
}

/** Frees every tensor of the model. */
export function disposeSeq2Seq(model: Seq2SeqModel): void {
  tf.dispose([...seq2seqVariables(model), model.positions]);
}

function checkIds(fn: string, name: string, ids: tf.Tensor, model: Seq2SeqModel): void {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new LabInputError(`${fn}: ${name} must be int32 [B, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  if ((ids.shape[1] as number) > model.config.maxLen) {
    throw new LabInputError(`${fn}: ${name} ${fmtShape(ids.shape)} is longer than the model's maxLen = ${model.config.maxLen}`);
  }
}

/** [B, Tx] float32, 1 for a real source token and 0 for padding (undefined: the model has no padding). */
function sourceKeyValid(model: Seq2SeqModel, src: tf.Tensor): tf.Tensor | undefined {
  const pad = model.config.srcPadId;
  return pad === undefined ? undefined : tf.tidy(() => tf.cast(tf.notEqual(src, pad), "float32"));
}

/** The source padding mask in the exercises' form, [B, 1, Tx] (1 = attend), or undefined. */
export function sourceMask(model: Seq2SeqModel, src: tf.Tensor): tf.Tensor | undefined {
  checkIds("sourceMask", "src", src, model);
  const valid = sourceKeyValid(model, src);
  if (!valid) return undefined;
  return tf.tidy(() => tf.expandDims(valid, 1));
}

/** Token embeddings scaled by √d plus positions from `offset`: ids [B, T] → [B, T, d]. */
function embedTokens(model: Seq2SeqModel, table: tf.Tensor, ids: tf.Tensor, lookup: (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor, offset = 0): tf.Tensor {
  const t = ids.shape[1] as number;
  const pos = model.positions.slice([offset, 0], [t, model.config.d]); // [T, d]
  return tf.add(tf.mul(lookup(table, ids), Math.sqrt(model.config.d)), pos);
}

const sourceTable = (model: Seq2SeqModel) => model.srcEmbedding ?? model.embedding;

/** Runs the encoder over source ids [B, Tx] (padding masked when the config has srcPadId). */
export function encode(blocks: Seq2SeqBlocks, model: Seq2SeqModel, src: tf.Tensor): EncodeResult {
  checkIds("encode", "src", src, model);
  return tf.tidy(() => {
    const mask = sourceMask(model, src); // [B, 1, Tx] or undefined
    let x = embedTokens(model, sourceTable(model), src, embed); // [B, Tx, d]
    const selfWeights: tf.Tensor[] = [];
    for (const layer of model.encoder) {
      const r = blocks.encoderLayer(layer, x, mask);
      x = r.output;
      selfWeights.push(r.selfWeights);
    }
    const memory = blocks.layerNorm(x, model.encoderNorm.gamma, model.encoderNorm.beta);
    return { memory, selfWeights };
  });
}

export interface DecodeOptions {
  /** false drops the self-attention mask (only for demonstrating what the mask does). */
  causal?: boolean;
  /** [B, 1, Tx] (or broadcastable to [B, Ty, Tx]): which memory positions the decoder may attend to; sourceMask(model, src) gives it. */
  memoryMask?: tf.Tensor;
}

/**
 * Runs the decoder over target-side ids [B, Ty] (BOS first) against `memory` [B, Tx, d].
 * Position i of the logits predicts token i + 1 of the decoder input, i.e. output token i.
 */
export function decode(blocks: Seq2SeqBlocks, model: Seq2SeqModel, memory: tf.Tensor, tgtIn: tf.Tensor, opts: DecodeOptions = {}): DecodeResult {
  checkIds("decode", "tgtIn", tgtIn, model);
  return tf.tidy(() => {
    const ty = tgtIn.shape[1] as number;
    const selfMask = opts.causal === false ? tf.ones([ty, ty]) : blocks.causalMask(ty); // [Ty, Ty]
    let y = embedTokens(model, model.embedding, tgtIn, embed); // [B, Ty, d]
    const selfWeights: tf.Tensor[] = [];
    const crossWeights: tf.Tensor[] = [];
    for (const layer of model.decoder) {
      const r = blocks.decoderLayer(layer, y, memory, selfMask, opts.memoryMask);
      y = r.output;
      selfWeights.push(r.selfWeights);
      crossWeights.push(r.crossWeights);
    }
    const [b, , d] = y.shape as number[];
    const h = blocks.layerNorm(y, model.decoderNorm.gamma, model.decoderNorm.beta).reshape([b * ty, d]);
    // The output layer reuses the embedding table (weight tying): logits = h · Eᵀ + b.
    const logits = tf.add(tf.matMul(h, model.embedding, false, true), model.outBias).reshape([b, ty, model.config.vocabSize]);
    return { logits, selfWeights, crossWeights };
  });
}

/** Teacher-forced forward pass: source [B, Tx] and decoder input [B, Ty] → logits [B, Ty, V] and the attention maps. */
export function forward(blocks: Seq2SeqBlocks, model: Seq2SeqModel, src: tf.Tensor, tgtIn: tf.Tensor, opts: { causal?: boolean } = {}): DecodeResult & { encoderSelfWeights: tf.Tensor[] } {
  return tf.tidy(() => {
    const { memory, selfWeights } = encode(blocks, model, src);
    const memoryMask = sourceMask(model, src);
    return { ...decode(blocks, model, memory, tgtIn, { ...opts, memoryMask }), encoderSelfWeights: selfWeights };
  });
}

// ---------------------------------------------------------------------------------------------
// The fast path: the same model on lib/support/fast (wasm kernels with hand-written gradients).

/** The encoder on the fast path: memory [B, Tx, d]. */
export function encodeFast(model: Seq2SeqModel, src: tf.Tensor): tf.Tensor {
  checkIds("encodeFast", "src", src, model);
  return tf.tidy(() => {
    const keyValid = sourceKeyValid(model, src);
    let x = embedTokens(model, sourceTable(model), src, fast.embedding);
    for (const layer of model.encoder) x = fastEncoderLayer(layer, x, { keyValid }).output;
    return fast.layerNorm(x, model.encoderNorm.gamma, model.encoderNorm.beta);
  });
}

/** LN(y)·Eᵀ + b: [B, T, d] → [B, T, V]. */
function outputLayer(model: Seq2SeqModel, y: tf.Tensor): tf.Tensor {
  const h = fast.layerNorm(y, model.decoderNorm.gamma, model.decoderNorm.beta);
  return tf.add(fast.matMul(h, model.embedding, false, true), model.outBias);
}

/** Teacher-forced logits [B, Ty, V] on the fast path (what training differentiates). */
export function forwardFast(model: Seq2SeqModel, src: tf.Tensor, tgtIn: tf.Tensor): tf.Tensor {
  checkIds("forwardFast", "tgtIn", tgtIn, model);
  return tf.tidy(() => {
    const memory = encodeFast(model, src);
    const memoryKeyValid = sourceKeyValid(model, src);
    let y = embedTokens(model, model.embedding, tgtIn, fast.embedding);
    for (const layer of model.decoder) y = fastDecoderLayer(layer, y, memory, { memoryKeyValid }).output;
    return outputLayer(model, y);
  });
}

// ---------------------------------------------------------------------------------------------
// Decoding (the DecodingModel of exercises 6.1 and 6.2)

export type { DecodingTokens } from "./decoding";

/**
 * A DecodingModel built from `blocks` (the student's encoder and decoder layers, or the
 * reference). State: memory [N, Tx, d], memoryMask [N, 1, Tx] (with padding) and the prefix
 * fed so far [N, t]; each step re-runs the decoder over the whole prefix (no cache).
 */
export function decodingModel(blocks: Seq2SeqBlocks, model: Seq2SeqModel, tokens: DecodingTokens): DecodingModel {
  return {
    ...tokens,
    vocabSize: model.config.vocabSize,
    start(src) {
      return tf.tidy(() => {
        const state: DecoderState = { memory: encode(blocks, model, src).memory };
        const mask = sourceMask(model, src);
        if (mask) state.memoryMask = mask;
        return state;
      }) as DecoderState;
    },
    step(state, next) {
      const fn = "decodingModel.step";
      checkStepTokens(fn, next, stateRows(fn, state, ["memory"]));
      return tf.tidy(() => {
        const column = tf.reshape(next, [-1, 1]);
        const prefix = state.prefix ? tf.concat([state.prefix, column], 1) : column; // [N, t + 1]
        if ((prefix.shape[1] as number) > model.config.maxLen) throw new LabInputError(`${fn}: cannot decode past the model's maxLen = ${model.config.maxLen}`);
        const { logits } = decode(blocks, model, state.memory, prefix, { memoryMask: state.memoryMask });
        const t = prefix.shape[1] as number;
        const last = tf.reshape(tf.slice(logits, [0, t - 1, 0], [-1, 1, -1]), [-1, model.config.vocabSize]); // [N, V]
        const kept: DecoderState = { memory: tf.clone(state.memory), prefix };
        if (state.memoryMask) kept.memoryMask = tf.clone(state.memoryMask);
        return { logProbs: tf.logSoftmax(last), state: kept };
      }) as unknown as { logProbs: tf.Tensor; state: DecoderState };
    },
    selectRows: (state, rows) => selectStateRows("decodingModel.selectRows", state, rows),
  };
}

/**
 * The same DecodingModel on the fast path, with a key/value cache. State: for each decoder
 * layer l, memoryKv{l} [N, Tx, 2d] (its cross-attention keys|values, computed once) and
 * selfKv{l} [N, t, 2d] (its self-attention keys|values of the positions fed so far), plus
 * keyValid [N, Tx] with padding; a step computes the new position only.
 */
export function decodingModelFast(model: Seq2SeqModel, tokens: DecodingTokens): DecodingModel {
  const layers = model.decoder.length;
  return {
    ...tokens,
    vocabSize: model.config.vocabSize,
    start(src) {
      return tf.tidy(() => {
        const memory = encodeFast(model, src);
        const state: DecoderState = {};
        model.decoder.forEach((layer, l) => (state[`memoryKv${l}`] = keyValueProjection(layer.crossAttn, memory)));
        const keyValid = sourceKeyValid(model, src);
        if (keyValid) state.keyValid = keyValid;
        return state;
      }) as DecoderState;
    },
    step(state, next) {
      const fn = "decodingModelFast.step";
      checkStepTokens(fn, next, stateRows(fn, state, ["memoryKv0"]));
      const t = state.selfKv0 ? (state.selfKv0.shape[1] as number) : 0; // positions fed so far
      if (t >= model.config.maxLen) throw new LabInputError(`${fn}: cannot decode past the model's maxLen = ${model.config.maxLen}`);
      return tf.tidy(() => {
        let y = embedTokens(model, model.embedding, tf.reshape(next, [-1, 1]), fast.embedding, t); // [N, 1, d]
        const kept: DecoderState = {};
        for (let l = 0; l < layers; l++) {
          const r = decoderLayerStep(model.decoder[l], y, state[`memoryKv${l}`], { selfKv: state[`selfKv${l}`], memoryKeyValid: state.keyValid });
          y = r.output;
          kept[`selfKv${l}`] = r.selfKv;
          kept[`memoryKv${l}`] = tf.clone(state[`memoryKv${l}`]);
        }
        if (state.keyValid) kept.keyValid = tf.clone(state.keyValid);
        const logits = tf.reshape(outputLayer(model, y), [-1, model.config.vocabSize]); // [N, V]
        return { logProbs: tf.logSoftmax(logits), state: kept };
      }) as unknown as { logProbs: tf.Tensor; state: DecoderState };
    },
    selectRows: (state, rows) => selectStateRows("decodingModelFast.selectRows", state, rows),
  };
}
