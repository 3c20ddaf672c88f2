/**
 * Recurrent networks: a GRU layer, and the RNN encoder-decoder that attention replaced, whose
 * decoder sees the source only through ONE fixed-length context vector, the encoder's final
 * state (notebook 06's baseline; notebook 09 times and probes the same layer).
 *
 * GRU (gates in PyTorch's order and form, so weights carry over to torch.nn.GRU):
 *   r = σ(x·Wx_r + bx_r + h·Wh_r + bh_r)            reset gate
 *   z = σ(x·Wx_z + bx_z + h·Wh_z + bh_z)            update gate
 *   n = tanh(x·Wx_n + bx_n + r ⊙ (h·Wh_n + bh_n))   candidate
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * with Wx [din, 3h] and Wh [h, 3h] holding the r | z | n columns side by side. One step depends
 * on the previous one, so a sequence of length T takes T steps in order, whatever the hardware.
 *
 * Encoder-decoder (Cho et al. 2014, without attention):
 *   encoder: h_t = GRU(E_src[x_t], h_{t-1}), h_0 = 0;  context c = h at the last real token
 *   decoder: s_0 = c;  s_t = GRU([E_tgt[y_{t-1}] ; c], s_{t-1});  logits_t = s_t·W + b
 *
 * Two ways to run the same parameters: gruLayer (plain tfjs ops, one step after the other,
 * differentiated by tfjs) and gruLayerFast (lib/support/fast: the whole recurrence, and its
 * backward pass through time, in one wasm kernel call each, several times faster to train);
 * tests/unit/models-rnn.test.ts checks they agree, and agree with PyTorch's nn.GRU.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { embed, glorot, zerosVar } from "../train";
import type { DecoderState, DecodingModel } from "../types";
import { checkStepTokens, DecodingTokens, selectStateRows, stateRows } from "./decoding";
import { NamedVariable, namedVariables, SeedSequence, variablesOf } from "./params";

/** One GRU layer's weights: input din, hidden size h. */
export interface GruParams {
  /** [din, 3h]: input projections of the r | z | n gates. */
  wx: tf.Tensor;
  /** [3h] */
  bx: tf.Tensor;
  /** [h, 3h]: recurrent projections of the r | z | n gates. */
  wh: tf.Tensor;
  /** [3h] */
  bh: tf.Tensor;
}

/** Fresh GRU weights: Glorot-normal per gate block (seeded), zero biases. */
export function newGruParams(din: number, hidden: number, seeds: SeedSequence): GruParams {
  return tf.tidy(() => {
    // (glorot() would make a variable per block; only the concatenation should be one)
    const std = (rows: number) => Math.sqrt(2 / (rows + hidden));
    const blocks = (rows: number) => tf.variable(tf.concat([0, 1, 2].map(() => tf.randomNormal([rows, hidden], 0, std(rows), "float32", seeds.take())), 1), true);
    return { wx: blocks(din), bx: zerosVar([3 * hidden]), wh: blocks(hidden), bh: zerosVar([3 * hidden]) } as unknown as tf.TensorContainer;
  }) as unknown as GruParams;
}

function hiddenSize(fn: string, p: GruParams): number {
  if (typeof p !== "object" || p === null || !(p.wh instanceof tf.Tensor)) throw new LabInputError(`${fn}: params must be GruParams { wx, bx, wh, bh }`);
  const h = p.wh.shape[0] as number;
  const expect: [string, tf.Tensor, number[]][] = [["wh", p.wh, [h, 3 * h]], ["bx", p.bx, [3 * h]], ["bh", p.bh, [3 * h]]];
  for (const [name, t, shape] of expect) {
    if (!(t instanceof tf.Tensor) || fmtShape(t.shape) !== fmtShape(shape)) throw new LabInputError(`${fn}: params.${name} must be ${fmtShape(shape)} (hidden size ${h} from wh), got ${t instanceof tf.Tensor ? fmtShape(t.shape) : typeof t}`);
  }
  if (!(p.wx instanceof tf.Tensor) || p.wx.rank !== 2 || p.wx.shape[1] !== 3 * h) throw new LabInputError(`${fn}: params.wx must be [din, ${3 * h}], got ${p.wx instanceof tf.Tensor ? fmtShape(p.wx.shape) : typeof p.wx}`);
  return h;
}

export interface GruLayerOptions {
  /** [B, h] initial state (zeros if absent). */
  h0?: tf.Tensor;
  /** [B, T] float32, 1 for a real step and 0 for padding: at a padding step the state is carried over unchanged. */
  valid?: tf.Tensor;
}

export interface GruLayerResult {
  /** [B, T, h]: the state after every step. */
  states: tf.Tensor;
  /** [B, h]: the state after the last real step of each row. */
  final: tf.Tensor;
}

function checkLayerInput(fn: string, params: GruParams, x: tf.Tensor, opts: GruLayerOptions): { b: number; t: number; h: number } {
  const h = hiddenSize(fn, params);
  if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.dtype !== "float32") throw new LabInputError(`${fn}: x must be float32 [B, T, din], got ${x instanceof tf.Tensor ? `${x.dtype} ${fmtShape(x.shape)}` : typeof x}`);
  const [b, t, din] = x.shape as number[];
  if (din !== params.wx.shape[0]) throw new LabInputError(`${fn}: x ${fmtShape(x.shape)} has din = ${din}, params.wx ${fmtShape(params.wx.shape)} expects ${params.wx.shape[0]}`);
  if (opts.h0 !== undefined && fmtShape(opts.h0.shape) !== fmtShape([b, h])) throw new LabInputError(`${fn}: h0 ${fmtShape(opts.h0.shape)} must be [B, h] = [${b},${h}]`);
  if (opts.valid !== undefined && fmtShape(opts.valid.shape) !== fmtShape([b, t])) throw new LabInputError(`${fn}: valid ${fmtShape(opts.valid.shape)} must be [B, T] = [${b},${t}]`);
  return { b, t, h };
}

/** One GRU step in plain tfjs: x [B, din], h [B, h] → h' [B, h]. */
export function gruCell(params: GruParams, x: tf.Tensor, h: tf.Tensor): tf.Tensor {
  return tf.tidy(() => fast.plain.gruStep(tf.add(tf.matMul(x, params.wx), params.bx), tf.add(tf.matMul(h, params.wh), params.bh), h));
}

/** The recurrence over input projections xw [B, T, 3h], by `run` (plain tfjs or the fast kernel). */
function recurrence(params: GruParams, xw: tf.Tensor, opts: GruLayerOptions, run: typeof fast.gruRecurrence): GruLayerResult {
  const [b, t] = xw.shape as number[];
  const hidden = params.wh.shape[0] as number;
  const states = run(xw, params.wh, params.bh, opts.h0 ?? tf.zeros([b, hidden]), opts.valid ?? tf.ones([b, t])); // [B, T, h]
  // Padding steps carry the state over, so the last step holds each row's final state.
  return { states, final: tf.reshape(tf.slice(states, [0, t - 1, 0], [-1, 1, -1]), [b, hidden]) };
}

/**
 * A GRU layer over a sequence, in plain tfjs ops: x [B, T, din] → states [B, T, h] and the
 * final state [B, h]. The input projections of all steps are one product; the recurrent ones
 * must wait for the previous step.
 */
export function gruLayer(params: GruParams, x: tf.Tensor, opts: GruLayerOptions = {}): GruLayerResult {
  checkLayerInput("gruLayer", params, x, opts);
  return tf.tidy(() => PLAIN.recur(params, PLAIN.linear(x, params.wx, params.bx), opts) as unknown as tf.TensorContainer) as unknown as GruLayerResult;
}

/** gruLayer on the fast path (the input projection on the matmul kernel, every step in one kernel call, backward through time in another): the same results, faster. */
export function gruLayerFast(params: GruParams, x: tf.Tensor, opts: GruLayerOptions = {}): GruLayerResult {
  checkLayerInput("gruLayerFast", params, x, opts);
  return tf.tidy(() => FAST.recur(params, FAST.linear(x, params.wx, params.bx), opts) as unknown as tf.TensorContainer) as unknown as GruLayerResult;
}

// ---------------------------------------------------------------------------------------------
// The encoder-decoder with a fixed context vector

export interface GruSeq2SeqConfig {
  srcVocabSize: number;
  /** Target vocabulary (decoder input and output). */
  vocabSize: number;
  /** Width of the token embeddings. */
  embed: number;
  /** Size of the GRU states, hence of the context vector. */
  hidden: number;
  /** Longest target the decoder is run for. */
  maxLen: number;
  /** The source id that marks padding (the encoder skips it); without it every token counts. */
  srcPadId?: number;
}

export interface GruSeq2SeqParams {
  config: GruSeq2SeqConfig;
  /** [srcVocabSize, embed] */
  srcEmbedding: tf.Variable;
  /** [vocabSize, embed] */
  tgtEmbedding: tf.Variable;
  /** embed → hidden */
  encoder: GruParams;
  /** [embed + hidden] (previous token, context) → hidden */
  decoder: GruParams;
  /** Output layer: logits = s·w + b, w [hidden, vocabSize]. */
  head: { w: tf.Variable; b: tf.Variable };
}

/** Fresh parameters (seeded, non-zero seed). */
export function createGruSeq2Seq(config: GruSeq2SeqConfig, seed: number): GruSeq2SeqParams {
  const seeds = new SeedSequence(seed);
  const { srcVocabSize, vocabSize, embed: e, hidden } = config;
  return tf.tidy(() => {
    const table = (v: number) => tf.variable(tf.randomNormal([v, e], 0, 1, "float32", seeds.take()), true);
    return {
      config,
      srcEmbedding: table(srcVocabSize),
      tgtEmbedding: table(vocabSize),
      encoder: newGruParams(e, hidden, seeds),
      decoder: newGruParams(e + hidden, hidden, seeds),
      head: { w: glorot([hidden, vocabSize], seeds.take()), b: zerosVar([vocabSize]) },
    } as unknown as tf.TensorContainer;
  }) as unknown as GruSeq2SeqParams;
}

/** The trained tensors with stable names ("encoder.wx", "head.w", …), for checkpoints. */
export function namedGruSeq2SeqVariables(p: GruSeq2SeqParams): NamedVariable[] {
  return namedVariables({ srcEmbedding: p.srcEmbedding, tgtEmbedding: p.tgtEmbedding, encoder: p.encoder, decoder: p.decoder, head: p.head });
}

export function gruSeq2SeqVariables(p: GruSeq2SeqParams): tf.Variable[] {
  return variablesOf(namedGruSeq2SeqVariables(p).map((n) => n.variable));
}

export function disposeGruSeq2Seq(p: GruSeq2SeqParams): void {
  tf.dispose(gruSeq2SeqVariables(p));
}

function checkIds(fn: string, name: string, ids: tf.Tensor, maxLen?: number): void {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") {
    throw new LabInputError(`${fn}: ${name} must be int32 [B, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  if (maxLen !== undefined && (ids.shape[1] as number) > maxLen) throw new LabInputError(`${fn}: ${name} ${fmtShape(ids.shape)} is longer than the model's maxLen = ${maxLen}`);
}

interface Impl {
  lookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor;
  /** x [..., din]·w (+ b) */
  linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor;
  /** The GRU recurrence over input projections xw [B, T, 3h] (bias included). */
  recur(params: GruParams, xw: tf.Tensor, opts: GruLayerOptions): GruLayerResult;
}

function plainLinear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, w.shape[0] as number]), w), [...x.shape.slice(0, -1), w.shape[1] as number]);
  return b ? tf.add(y, b) : y;
}

const PLAIN: Impl = { lookup: embed, linear: plainLinear, recur: (params, xw, opts) => recurrence(params, xw, opts, fast.plain.gruRecurrence) };
const FAST: Impl = { lookup: fast.embedding, linear: (x, w, b) => fast.linear(x, w, b), recur: (params, xw, opts) => recurrence(params, xw, opts, fast.gruRecurrence) };

function encodeWith(impl: Impl, p: GruSeq2SeqParams, src: tf.Tensor): tf.Tensor {
  const pad = p.config.srcPadId;
  const valid = pad === undefined ? undefined : tf.cast(tf.notEqual(src, pad), "float32");
  const xw = impl.linear(impl.lookup(p.srcEmbedding, src), p.encoder.wx, p.encoder.bx); // [B, Tx, 3h]
  return impl.recur(p.encoder, xw, { valid }).final;
}

function forwardWith(impl: Impl, p: GruSeq2SeqParams, src: tf.Tensor, tgtIn: tf.Tensor): tf.Tensor {
  const context = encodeWith(impl, p, src); // [B, h]: all the decoder will know about the source
  // The decoder's input at every step is [E_tgt[y] ; c]: its projection is E_tgt[y]·Wx_y + c·Wx_c,
  // and c·Wx_c, the same at every step, is computed once (rows e… of Wx multiply c).
  const e = p.config.embed;
  const [wy, wc] = tf.split(p.decoder.wx, [e, p.config.hidden], 0);
  const fromContext = tf.expandDims(impl.linear(context, wc, p.decoder.bx), 1); // [B, 1, 3h]
  const xw = tf.add(impl.linear(impl.lookup(p.tgtEmbedding, tgtIn), wy), fromContext); // [B, Ty, 3h]
  const states = impl.recur(p.decoder, xw, { h0: context }).states; // [B, Ty, h]
  return impl.linear(states, p.head.w, p.head.b); // [B, Ty, V]
}

/** The context vector, the encoder's final state [B, h], for source ids [B, Tx] (plain tfjs). */
export function gruEncode(p: GruSeq2SeqParams, src: tf.Tensor): tf.Tensor {
  checkIds("gruEncode", "src", src);
  return tf.tidy(() => encodeWith(PLAIN, p, src));
}

/** Teacher-forced logits [B, Ty, V] in plain tfjs ops (readable, differentiated by tfjs). */
export function gruForward(p: GruSeq2SeqParams, src: tf.Tensor, tgtIn: tf.Tensor): tf.Tensor {
  checkIds("gruForward", "src", src);
  checkIds("gruForward", "tgtIn", tgtIn, p.config.maxLen);
  return tf.tidy(() => forwardWith(PLAIN, p, src, tgtIn));
}

/** The same logits on the fast path (what training differentiates). */
export function gruForwardFast(p: GruSeq2SeqParams, src: tf.Tensor, tgtIn: tf.Tensor): tf.Tensor {
  checkIds("gruForwardFast", "src", src);
  checkIds("gruForwardFast", "tgtIn", tgtIn, p.config.maxLen);
  return tf.tidy(() => forwardWith(FAST, p, src, tgtIn));
}

/**
 * The DecodingModel of exercises 6.1 and 6.2 for the GRU encoder-decoder, on the fast path.
 * State: fromContext [N, 3h] (the context vector's share of the decoder's input projection,
 * c·Wx_c + bx, fixed for the whole output) and the decoder's state hidden [N, h].
 */
export function gruDecodingModel(p: GruSeq2SeqParams, tokens: DecodingTokens): DecodingModel {
  // Wx = [Wx_y; Wx_c], read afresh from the (trainable) weights at every call. Each half by its
  // own tf.slice: tfjs-wasm's Slice copies all of its input, and tf.split copies it once per part,
  // so a step that needs only Wx_y paid for two copies of Wx (measured in the commit message).
  // (sequenceRows, a gather, would read only the rows, but tfjs-wasm's gather is ~100 times
  // slower per value than the copy: ~3 ms for Wx_y's 49k values.)
  const e = p.config.embed;
  const tokenRows = () => tf.slice(p.decoder.wx, [0, 0], [e, -1]); // Wx_y [e, 3h]
  const contextRows = () => tf.slice(p.decoder.wx, [e, 0], [p.config.hidden, -1]); // Wx_c [h, 3h]
  return {
    ...tokens,
    vocabSize: p.config.vocabSize,
    start(src) {
      checkIds("gruDecodingModel.start", "src", src);
      return tf.tidy(() => {
        const context = encodeWith(FAST, p, src); // [N, h]
        return { fromContext: fast.linear(context, contextRows(), p.decoder.bx), hidden: context };
      });
    },
    step(state, next) {
      const fn = "gruDecodingModel.step";
      checkStepTokens(fn, next, stateRows(fn, state, ["fromContext", "hidden"]));
      return tf.tidy(() => {
        const xw = tf.add(fast.linear(fast.embedding(p.tgtEmbedding, next), tokenRows()), state.fromContext); // [N, 3h]
        const hidden = FAST.recur(p.decoder, tf.expandDims(xw, 1), { h0: state.hidden }).final; // one step
        const logits = fast.linear(hidden, p.head.w, p.head.b);
        return { logProbs: tf.logSoftmax(logits), state: { fromContext: tf.clone(state.fromContext), hidden } };
      }) as unknown as { logProbs: tf.Tensor; state: DecoderState };
    },
    selectRows: (state, rows) => selectStateRows("gruDecodingModel.selectRows", state, rows),
  };
}
