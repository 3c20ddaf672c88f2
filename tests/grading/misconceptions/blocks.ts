/**
 * Misconception variants for the exercises in lib/blocks.ts
 * (3.1 layerNorm, 3.2 feedForward, 3.3 encoderLayer, 3.4 decoderLayer).
 *
 * Self-contained like the other variants: the layers use the correct multi-head attention of
 * misconceptions/multihead.ts (mhaWith({})) unless told otherwise, so each variant has exactly
 * one mistake.
 */
import * as tf from "@tensorflow/tfjs";
import type { BlocksModule, Misconception } from "../../../grader/types";
import { dense, mhaWith, sameShapesMentioned, type Mha } from "./multihead";

type LayerNorm = BlocksModule["layerNorm"];
type FeedForward = BlocksModule["feedForward"];
type Encoder = BlocksModule["encoderLayer"];
type Decoder = BlocksModule["decoderLayer"];
type LnParams = { gamma: tf.Tensor; beta: tf.Tensor };

const correctMha = mhaWith({});

// ---------------------------------------------------------------------------------------------
// 3.1 layerNorm

interface LnOptions {
  /** Normalise over this axis instead of the last one. */
  axis?: number;
  unbiased?: boolean;
  eps?: "inside" | "outside" | "none";
  /** Use eps = 1e-5 whatever the argument says. */
  fixedEps?: boolean;
}

function lnWith(o: LnOptions): LayerNorm {
  return (x, gamma, beta, epsArg = 1e-5) =>
    tf.tidy(() => {
      const eps = o.fixedEps ? 1e-5 : epsArg;
      const axis = o.axis ?? -1;
      const mean = tf.mean(x, axis, true);
      const centred = tf.sub(x, mean);
      const n = x.shape[axis < 0 ? x.rank + axis : axis];
      const variance = tf.div(tf.sum(tf.square(centred), axis, true), o.unbiased ? n - 1 : n);
      const denom = o.eps === "none" ? tf.sqrt(variance) : o.eps === "outside" ? tf.add(tf.sqrt(variance), eps) : tf.sqrt(tf.add(variance, eps));
      return tf.add(tf.mul(tf.div(centred, denom), gamma), beta);
    });
}

const ln = (x: tf.Tensor, p: LnParams) => lnWith({})(x, p.gamma, p.beta);

export const LAYER_NORM_MISCONCEPTIONS: readonly Misconception<LayerNorm>[] = [
  {
    exercise: "3.1",
    id: "wrong-axis",
    looksLike: "a layer norm over the second-to-last axis (across positions) instead of each position's features",
    fix: "take the mean and variance over the last axis, with keepDims: tf.moments(x, -1, true)",
    fn: lnWith({ axis: -2 }),
  },
  {
    exercise: "3.1",
    id: "unbiased-variance",
    looksLike: "a layer norm with the unbiased variance (dividing by d − 1)",
    fix: "use the biased variance, mean((x − mean)²), dividing by d as PyTorch's nn.LayerNorm does (tf.moments does)",
    fn: lnWith({ unbiased: true }),
  },
  {
    exercise: "3.1",
    id: "eps-outside-sqrt",
    looksLike: "a layer norm dividing by sqrt(var) + eps (eps outside the square root)",
    fix: "divide by sqrt(var + eps): add eps to the variance before tf.sqrt",
    fn: lnWith({ eps: "outside" }),
  },
  {
    exercise: "3.1",
    id: "eps-ignored",
    looksLike: "a layer norm that always uses eps = 1e-5, whatever the eps argument says",
    fix: "use the eps argument (its default is 1e-5): layerNorm(x, gamma, beta, eps = 1e-5), then sqrt(var + eps)",
    fn: lnWith({ fixedEps: true }),
  },
  {
    exercise: "3.1",
    id: "no-eps",
    looksLike: "a layer norm without eps (dividing by sqrt(var))",
    fix: "divide by sqrt(var + eps), using the eps argument (default 1e-5)",
    fn: lnWith({ eps: "none" }),
  },
];


// ---------------------------------------------------------------------------------------------
// 3.2 feedForward

interface FfnOptions {
  relu: "hidden" | "none" | "output" | "both";
  /** The hidden layer's nonlinearity where the ReLU goes (default ReLU). */
  activation?: "relu" | "sigmoid";
  /** relu(x·w1) + b1: the bias added after the ReLU. */
  biasAfterRelu?: boolean;
}

function ffnWith(o: FfnOptions): FeedForward {
  const act = (h: tf.Tensor) => (o.activation === "sigmoid" ? tf.sigmoid(h) : tf.relu(h));
  return (p, x) =>
    tf.tidy(() => {
      let hidden = o.biasAfterRelu ? tf.add(act(dense(x, p.w1)), p.b1) : dense(x, p.w1, p.b1);
      if (!o.biasAfterRelu && (o.relu === "hidden" || o.relu === "both")) hidden = act(hidden);
      const out = dense(hidden, p.w2, p.b2);
      return o.relu === "output" || o.relu === "both" ? tf.relu(out) : out;
    });
}

const ffn = ffnWith({ relu: "hidden" });

export const FFN_MISCONCEPTIONS: readonly Misconception<FeedForward>[] = [
  {
    exercise: "3.2",
    id: "no-relu",
    looksLike: "a feed-forward network without the ReLU (two linear layers collapse into one)",
    fix: "apply tf.relu to the hidden layer: relu(x·w1 + b1)·w2 + b2",
    fn: ffnWith({ relu: "none" }),
  },
  {
    exercise: "3.2",
    id: "relu-after-second",
    looksLike: "a feed-forward network with the ReLU after the second layer instead of the first",
    fix: "the ReLU goes between the layers, on x·w1 + b1; the output x·…·w2 + b2 stays linear (it can be negative)",
    fn: ffnWith({ relu: "output" }),
  },
  {
    exercise: "3.2",
    id: "relu-both",
    looksLike: "a feed-forward network with a ReLU after both layers",
    fix: "only the hidden layer gets the ReLU; the output x·…·w2 + b2 stays linear (it can be negative)",
    fn: ffnWith({ relu: "both" }),
  },
  {
    exercise: "3.2",
    id: "relu-before-bias",
    looksLike: "a feed-forward network that applies the ReLU before adding b1 (relu(x·w1) + b1)",
    fix: "add the bias first, then the ReLU: relu(x·w1 + b1)·w2 + b2 (with the bias after it, the hidden layer can be negative and b1 no longer shifts where the ReLU cuts)",
    fn: ffnWith({ relu: "hidden", biasAfterRelu: true }),
  },
  {
    exercise: "3.2",
    id: "sigmoid",
    looksLike: "a feed-forward network with a sigmoid instead of the ReLU on the hidden layer",
    fix: "the kit's feed-forward network uses the ReLU: tf.relu(x·w1 + b1)·w2 + b2 (not tf.sigmoid)",
    fn: ffnWith({ relu: "hidden", activation: "sigmoid" }),
  },
];


// ---------------------------------------------------------------------------------------------
// 3.3 encoderLayer

interface EncoderOptions {
  /** "pre" is right; "post": LN(x + Sublayer(x)); "normed-residual": LN(x) + Sublayer(LN(x)). */
  norm?: "pre" | "post" | "normed-residual";
  residual?: "both" | "none" | "no-attention" | "no-ffn";
  /** The multi-head attention the layer builds on (default: a correct one). */
  mha?: Mha;
}

/** An encoder layer with one deliberate mistake; with no options it is correct. */
export function encoderWith(o: EncoderOptions): Encoder {
  const mha = o.mha ?? correctMha;
  const res = o.residual ?? "both";
  return (p, x, mask) =>
    tf.tidy(() => {
      if (o.norm === "post") {
        const attn = mha(p.selfAttn, x, x, mask);
        const a = ln(res === "none" || res === "no-attention" ? attn.output : tf.add(x, attn.output), p.norm1);
        const f = ffn(p.ffn, a);
        return { output: ln(res === "none" || res === "no-ffn" ? f : tf.add(a, f), p.norm2), selfWeights: attn.weights };
      }
      const n1 = ln(x, p.norm1);
      const attn = mha(p.selfAttn, n1, n1, mask);
      const skip1 = o.norm === "normed-residual" ? n1 : x;
      const a = res === "none" || res === "no-attention" ? attn.output : tf.add(skip1, attn.output);
      const n2 = ln(a, p.norm2);
      const skip2 = o.norm === "normed-residual" ? n2 : a;
      const f = ffn(p.ffn, n2);
      return { output: res === "none" || res === "no-ffn" ? f : tf.add(skip2, f), selfWeights: attn.weights };
    });
}

export const ENCODER_MISCONCEPTIONS: readonly Misconception<Encoder>[] = [
  {
    exercise: "3.3",
    id: "post-norm",
    looksLike: "a post-norm encoder layer, LayerNorm(x + Sublayer(x)) (the original Transformer's order)",
    fix: "the kit's layers are pre-norm: a = x + SelfAttention(LN1(x)), output = a + FeedForward(LN2(a)); normalise the sublayer's input, not the sum",
    fn: encoderWith({ norm: "post" }),
  },
  {
    exercise: "3.3",
    id: "normed-residual",
    looksLike: "an encoder layer whose residual adds the normalised input, LN(x) + Sublayer(LN(x))",
    fix: "the residual path skips the norm: a = x + SelfAttention(LN1(x)) adds the raw x, and output = a + FeedForward(LN2(a)) the raw a",
    fn: encoderWith({ norm: "normed-residual" }),
  },
  {
    exercise: "3.3",
    id: "no-residual",
    looksLike: "an encoder layer without the residual connections",
    fix: "add each sublayer's input back: a = x + SelfAttention(LN1(x)), output = a + FeedForward(LN2(a))",
    fn: encoderWith({ residual: "none" }),
  },
  {
    exercise: "3.3",
    id: "no-attention-residual",
    looksLike: "an encoder layer without the residual around self-attention (a = SelfAttention(LN1(x)))",
    fix: "a = x + SelfAttention(LN1(x)): add x back",
    fn: encoderWith({ residual: "no-attention" }),
  },
  {
    exercise: "3.3",
    id: "no-ffn-residual",
    looksLike: "an encoder layer without the residual around the feed-forward network (output = FeedForward(LN2(a)))",
    fix: "output = a + FeedForward(LN2(a)): add a back",
    fn: encoderWith({ residual: "no-ffn" }),
  },
];


// ---------------------------------------------------------------------------------------------
// 3.4 decoderLayer

interface DecoderOptions {
  /** Where cross-attention's keys and values come from. */
  crossKV?: "memory" | "decoder" | "normed-memory";
  /** Where cross-attention's queries come from: LN2(a) is right. */
  crossQueries?: "ln2-a" | "ln2-y" | "ln1-y";
  ignoreSelfMask?: boolean;
  /** The mask given to cross-attention: memoryMask is right; "self" passes selfMask there too. */
  crossMask?: "memory" | "self";
  norm?: "pre" | "post";
  residual?: "all" | "none";
  mha?: Mha;
}

/**
 * Throws, naming both shapes, when `mask` does not broadcast to the attention's [B, Tq, Tk]: the
 * variant then fails where the reference multiHeadAttention (or the student's own) rejects the mask,
 * with a message naming the same shapes (sameShapesMentioned).
 */
function expectMaskBroadcasts(mask: tf.Tensor, target: number[]): void {
  const m = mask.shape;
  const fits = m.length <= target.length && m.every((n, i) => n === 1 || n === target[target.length - m.length + i]);
  if (!fits) throw new Error(`mask [${m.join(",")}] does not broadcast to [B, Tq, Tk] [${target.join(",")}]`);
}

/** A decoder layer with one deliberate mistake; with no options it is correct. */
export function decoderWith(o: DecoderOptions): Decoder {
  const mha = o.mha ?? correctMha;
  const add = (skip: tf.Tensor, y: tf.Tensor) => (o.residual === "none" ? y : tf.add(skip, y));
  return (p, y, memory, selfMask, memoryMask) =>
    tf.tidy(() => {
      const sm = o.ignoreSelfMask ? undefined : selfMask;
      if (o.norm === "post") {
        const self = mha(p.selfAttn, y, y, sm);
        const a = ln(add(y, self.output), p.norm1);
        const cross = mha(p.crossAttn, a, memory, memoryMask);
        const c = ln(add(a, cross.output), p.norm2);
        return { output: ln(add(c, ffn(p.ffn, c)), p.norm3), selfWeights: self.weights, crossWeights: cross.weights };
      }
      const n1 = ln(y, p.norm1);
      const self = mha(p.selfAttn, n1, n1, sm);
      const a = add(y, self.output);
      const n2 = ln(a, p.norm2);
      const queries = o.crossQueries === "ln2-y" ? ln(y, p.norm2) : o.crossQueries === "ln1-y" ? n1 : n2;
      const kv = o.crossKV === "decoder" ? n2 : o.crossKV === "normed-memory" ? ln(memory, p.norm2) : memory;
      const crossMask = o.crossMask === "self" ? selfMask : memoryMask;
      if (crossMask !== undefined) expectMaskBroadcasts(crossMask, [kv.shape[0], queries.shape[1] as number, kv.shape[1] as number]);
      const cross = mha(p.crossAttn, queries, kv, crossMask);
      const c = add(a, cross.output);
      return { output: add(c, ffn(p.ffn, ln(c, p.norm3))), selfWeights: self.weights, crossWeights: cross.weights };
    });
}

export const DECODER_MISCONCEPTIONS: readonly Misconception<Decoder>[] = [
  {
    exercise: "3.4",
    id: "cross-kv-from-decoder",
    looksLike: "a decoder layer whose cross-attention takes its keys and values from the decoder stream instead of memory",
    fix: "cross-attention: queries from LN2(a), keys and values from memory (the encoder's output): multiHeadAttention(crossAttn, LN2(a), memory, memoryMask)",
    fn: decoderWith({ crossKV: "decoder" }),
  },
  {
    exercise: "3.4",
    id: "self-mask-ignored",
    looksLike: "a decoder layer whose self-attention ignores selfMask (every position sees the future)",
    fix: "pass selfMask (usually causalMask(Ty)) to the self-attention: multiHeadAttention(selfAttn, LN1(y), LN1(y), selfMask)",
    fn: decoderWith({ ignoreSelfMask: true }),
  },
  {
    exercise: "3.4",
    id: "memory-normalised",
    looksLike: "a decoder layer that also normalises memory with norm2",
    fix: "norm2 applies to the decoder stream only: memory is already the (normalised) encoder output; pass it to cross-attention as it is",
    fn: decoderWith({ crossKV: "normed-memory" }),
  },
  {
    exercise: "3.4",
    id: "cross-queries-from-y",
    looksLike: "a decoder layer whose cross-attention queries come from LN2(y) (the layer's input) instead of LN2(a) (after self-attention)",
    fix: "the queries come from the updated stream: a = y + SelfAttention(LN1(y)), then CrossAttention(LN2(a), memory)",
    fn: decoderWith({ crossQueries: "ln2-y" }),
  },
  {
    exercise: "3.4",
    id: "cross-queries-from-ln1-y",
    looksLike: "a decoder layer whose cross-attention queries are LN1(y) (reused from self-attention) instead of LN2(a)",
    fix: "the queries come from the updated stream, normalised by norm2: a = y + SelfAttention(LN1(y)), then CrossAttention(LN2(a), memory)",
    fn: decoderWith({ crossQueries: "ln1-y" }),
  },
  {
    exercise: "3.4",
    id: "post-norm",
    looksLike: "a post-norm decoder layer, LayerNorm(x + Sublayer(x)) (the original Transformer's order)",
    fix: "the kit's layers are pre-norm: normalise each sublayer's input (LN1(y), LN2(a), LN3(c)) and add the raw stream back",
    fn: decoderWith({ norm: "post" }),
  },
  {
    exercise: "3.4",
    id: "no-residual",
    looksLike: "a decoder layer without the residual connections",
    fix: "add each sublayer's input back: a = y + …, c = a + …, output = c + …",
    fn: decoderWith({ residual: "none" }),
  },
  {
    exercise: "3.4",
    id: "self-mask-to-cross",
    looksLike: "a decoder layer that passes selfMask to the cross-attention as well (instead of memoryMask)",
    fix: "selfMask ([Ty, Ty], causal) is for the self-attention only; the cross-attention attends from y to memory and takes memoryMask (over memory's Tx positions, or none): multiHeadAttention(crossAttn, LN2(a), memory, memoryMask)",
    fn: decoderWith({ crossMask: "self" }),
    errorLike: sameShapesMentioned,
  },
];


