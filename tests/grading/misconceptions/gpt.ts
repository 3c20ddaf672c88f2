/**
 * Misconception variants for the exercises in lib/gpt.ts
 * (5.1 nextTokenLoss, 5.2 sampleNext, 5.3 decodeStepWithCache, 5.4 gptForward).
 *
 * Self-contained like the other variants: the GPT variants build on the correct layers of
 * misconceptions/blocks.ts (encoderWith({})) or on the few lines of attention written out here,
 * so each variant has exactly one mistake. They skip input checks.
 */
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../../../lib/support/random";
import type { GptModule, Misconception } from "../../../grader/types";
import type { KVCache, LayerKV } from "../../../lib/support/types";
import { encoderWith } from "./blocks";
import { dense } from "./multihead";

type Loss = GptModule["nextTokenLoss"];
type Sample = GptModule["sampleNext"];
type Step = GptModule["decodeStepWithCache"];
type Forward = GptModule["gptForward"];

// ---------------------------------------------------------------------------------------------
// 5.1 nextTokenLoss

interface LossOptions {
  /** Score logits[t] against ids[t] (no shift). */
  unshifted?: boolean;
  /** Padding targets count like real ones. */
  paddingCounted?: boolean;
  /** Sum of the token losses divided by the batch size B. */
  meanOverBatch?: boolean;
  /** log-softmax over this axis instead of the last. */
  axis?: number;
}

function lossWith(o: LossOptions): Loss {
  return (logits, ids, padId) =>
    tf.tidy(() => {
      const [b, t, v] = logits.shape as number[];
      const pred = o.unshifted ? logits : tf.slice(logits, [0, 0, 0], [b, t - 1, v]);
      const target = o.unshifted ? ids : tf.slice(ids, [0, 1], [b, t - 1]);
      const logp = tf.logSoftmax(pred, o.axis ?? -1);
      const picked = tf.sum(tf.mul(logp, tf.oneHot(target, v)), -1); // [B, T']
      const real = o.paddingCounted ? tf.onesLike(picked) : tf.cast(tf.notEqual(target, padId), "float32");
      const total = tf.neg(tf.sum(tf.mul(picked, real)));
      return (o.meanOverBatch ? tf.div(total, b) : tf.div(total, tf.sum(real))) as tf.Scalar;
    });
}

export const NEXT_TOKEN_LOSS_MISCONCEPTIONS: readonly Misconception<Loss>[] = [
  {
    exercise: "5.1",
    id: "not-shifted",
    looksLike: "a loss that scores logits[b, t] against ids[b, t], the token the model was given, instead of the next one",
    fix: "logits[b, t] predicts ids[b, t + 1]: drop the last position of the logits and the first of the ids (tf.slice) before comparing",
    fn: lossWith({ unshifted: true }),
  },
  {
    exercise: "5.1",
    id: "padding-counted",
    looksLike: "a loss that scores the padding targets too",
    fix: "leave out every target equal to padId: multiply the per-token losses by a 0/1 mask (targets ≠ padId) and divide by the number of real targets",
    fn: lossWith({ paddingCounted: true }),
  },
  {
    exercise: "5.1",
    id: "mean-over-batch",
    looksLike: "a loss that adds up the token losses and divides by the batch size B instead of the number of real targets",
    fix: "divide the sum by the number of real (non-padding) targets: the loss is a mean per token, comparable between batches of different lengths",
    fn: lossWith({ meanOverBatch: true }),
  },
  {
    exercise: "5.1",
    id: "softmax-over-positions",
    looksLike: "a loss whose log-softmax runs over the positions (axis 1) instead of the vocabulary",
    fix: "normalise over the vocabulary, the last axis: tf.logSoftmax(logits, -1) gives log p(token) at each position",
    fn: lossWith({ axis: 1 }),
  },
];

// ---------------------------------------------------------------------------------------------
// 5.2 sampleNext

interface SampleVariantOptions {
  /** The temperature changes nothing (as when the probabilities are divided by T after the softmax and renormalised). */
  temperatureIgnored?: boolean;
  /** Top-k keeps k − 1 (strictly above the k-th largest logit) or k + 1 tokens. */
  topKOff?: -1 | 1;
  /** The arg-max whatever the temperature. */
  alwaysGreedy?: boolean;
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function sampleWith(o: SampleVariantOptions): Sample {
  return (logits, opts = {}) => {
    const flat = Array.from(logits.dataSync());
    const v = logits.shape[logits.rank - 1];
    const rows = Array.from({ length: flat.length / v }, (_, r) => flat.slice(r * v, (r + 1) * v));
    const temperature = opts.temperature ?? 1;
    const k = opts.topK ?? v;
    if (temperature === 0 || o.alwaysGreedy) return rows.map(argmax);
    const random = seededRandom(opts.seed as number);
    return rows.map((row) => {
      const sorted = [...row].sort((a, b) => b - a);
      let keep: (l: number, i: number) => boolean;
      if (o.topKOff === -1) keep = (l) => l > sorted[k - 1];
      else {
        const n = Math.min(v, k + (o.topKOff ?? 0));
        const order = row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
        const kept = new Set(order.slice(0, n));
        keep = (_, i) => kept.has(i);
      }
      const scaled = row.map((l, i) => (keep(l, i) ? (o.temperatureIgnored ? l : l / temperature) : -Infinity));
      const max = Math.max(...scaled);
      const e = scaled.map((x) => (x === -Infinity ? 0 : Math.exp(x - max)));
      const total = e.reduce((a, b) => a + b, 0);
      const u = random();
      let c = 0;
      let chosen = -1;
      for (let i = 0; i < v; i++) {
        if (e[i] === 0) continue;
        chosen = i;
        c += e[i] / total;
        if (c > u) break;
      }
      return chosen;
    });
  };
}

export const SAMPLE_NEXT_MISCONCEPTIONS: readonly Misconception<Sample>[] = [
  {
    exercise: "5.2",
    id: "temperature-after-softmax",
    looksLike: "sampling that ignores the temperature, as dividing the probabilities by T after the softmax does once they are renormalised",
    fix: "apply the temperature to the logits, before the softmax: p = softmax(logits / T)",
    fn: sampleWith({ temperatureIgnored: true }),
  },
  {
    exercise: "5.2",
    id: "top-k-minus-one",
    looksLike: "top-k that keeps k − 1 tokens (only the logits strictly larger than the k-th largest)",
    fix: "keep exactly the k largest logits, the k-th included: tf.topk(logits, k).indices are the ones to keep",
    fn: sampleWith({ topKOff: -1 }),
  },
  {
    exercise: "5.2",
    id: "top-k-plus-one",
    looksLike: "top-k that keeps k + 1 tokens",
    fix: "keep exactly k tokens, the k largest logits (tf.topk(logits, k)); every other token gets probability 0",
    fn: sampleWith({ topKOff: 1 }),
  },
  {
    exercise: "5.2",
    id: "greedy-when-warm",
    looksLike: "a sampler that returns each row's arg-max whatever the temperature",
    fix: "the arg-max is only for temperature 0; for T > 0 draw u from seededRandom(seed) and take the first id whose cumulative probability exceeds u",
    fn: sampleWith({ alwaysGreedy: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 5.3 decodeStepWithCache

interface StepOptions {
  /** Concatenate the new keys and values on this axis instead of 2 (the positions). */
  concatAxis?: number;
  /** Every step uses position embedding 0. */
  positionZero?: boolean;
  /** The cache holds each step's attention output instead of its keys and values. */
  cacheOutputs?: boolean;
}

function lnOf(x: tf.Tensor, p: { gamma: tf.Tensor; beta: tf.Tensor }): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p.gamma), p.beta);
}

const heads = (x: tf.Tensor, h: number) => {
  const [b, t, d] = x.shape as number[];
  return tf.transpose(tf.reshape(x, [b, t, h, d / h]), [0, 2, 1, 3]); // [B, h, t, dh]
};

function shapesIn(message: string): string[] {
  return message.replace(/\s+/g, "").replace(/(\d)[x×](?=\d)/g, "$1,").match(/\d+(?:,\d+)+/g) ?? [];
}

/** One decoding step with one deliberate mistake, selected by `o`; with no options it is correct. */
function stepWith(o: StepOptions): Step {
  return (params, token, cache) =>
    tf.tidy(() => {
      const b = token.length;
      const { d, vocabSize } = params.config;
      const t = cache ? (cache.layers[0].k.shape[2] as number) : 0;
      const oneHot = tf.oneHot(tf.tensor1d(token as number[], "int32"), vocabSize); // [B, V]
      const pos = tf.slice(params.positionEmbedding, [o.positionZero ? 0 : t, 0], [1, d]);
      let x = tf.reshape(tf.add(tf.matMul(oneHot, params.tokenEmbedding), pos), [b, 1, d]);
      const layers: LayerKV[] = params.layers.map((layer, i) => {
        const a = layer.selfAttn;
        const h = a.numHeads;
        const n1 = lnOf(x, layer.norm1);
        const q = heads(dense(n1, a.wq, a.bq), h);
        const kNew = heads(dense(n1, a.wk, a.bk), h);
        const vNew = heads(dense(n1, a.wv, a.bv), h);
        const past = cache?.layers[i];
        const axis = o.concatAxis ?? 2;
        const k = past ? tf.concat([past.k, kNew], axis) : kNew;
        const v = past ? tf.concat([past.v, vNew], axis) : vNew;
        if (fmtDims(k.shape.slice(0, 2)) !== fmtDims(q.shape.slice(0, 2)) || k.shape[3] !== q.shape[3]) {
          throw new Error(`attention: q [${q.shape}] and the cached keys k [${k.shape}] do not fit (batch dims ${q.shape.slice(0, 2)} and ${k.shape.slice(0, 2)})`);
        }
        const weights = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[3] as number))); // [B, h, 1, t+1]
        const attended = tf.matMul(weights, v); // [B, h, 1, dh]
        const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b, 1, d]);
        x = tf.add(x, dense(merged, a.wo, a.bo));
        const n2 = lnOf(x, layer.norm2);
        x = tf.add(x, dense(tf.relu(dense(n2, layer.ffn.w1, layer.ffn.b1)), layer.ffn.w2, layer.ffn.b2));
        if (o.cacheOutputs) return { k: past ? tf.concat([past.k, attended], 2) : attended, v: past ? tf.concat([past.v, attended], 2) : attended };
        return { k, v };
      });
      const logits = tf.reshape(dense(lnOf(x, params.finalNorm), params.head.w, params.head.b), [b, vocabSize]);
      return { logits, cache: { layers } } as unknown as tf.TensorContainer;
    }) as unknown as { logits: tf.Tensor; cache: KVCache };
}

function fmtDims(dims: readonly number[]): string {
  return dims.join(",");
}

export const DECODE_STEP_MISCONCEPTIONS: readonly Misconception<Step>[] = [
  {
    exercise: "5.3",
    id: "cache-on-heads-axis",
    looksLike: "a step that appends the new keys and values to the cache on axis 1 (the heads) instead of axis 2 (the positions)",
    fix: "the cache is [B, h, t, dh]: append this step's k and v ([B, h, 1, dh]) on axis 2, tf.concat([past.k, k], 2)",
    fn: stepWith({ concatAxis: 1 }),
    // The attention (the student's scaledDotProductAttention, or tfjs) then rejects keys [B, 2h, 1, dh],
    // or tf.concat rejects a cache of another length: either way their shapes are in the message.
    errorLike: (student, variant) => {
      const s = shapesIn(student);
      const v = shapesIn(variant);
      if (student === variant) return true;
      const k = v[1];
      const batch = v.slice(-2);
      return (k !== undefined && s.includes(k)) || (batch.length === 2 && batch.every((x) => s.includes(x)));
    },
  },
  {
    exercise: "5.3",
    id: "positions-restart",
    looksLike: "a step that adds position embedding 0 at every step (as if each token were the first)",
    fix: "the token fed at this step sits at position t, the number of positions already in the cache (cache.layers[0].k.shape[2], 0 for null): add positionEmbedding row t",
    fn: stepWith({ positionZero: true }),
  },
  {
    exercise: "5.3",
    id: "caches-attention-outputs",
    looksLike: "a step that caches each layer's attention output instead of its keys and values",
    fix: "the cache keeps, for every layer, the keys k = LN1(x)·wk + bk and values v = LN1(x)·wv + bv of every position (split into heads); append this step's k and v, not what attention returned",
    fn: stepWith({ cacheOutputs: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 5.4 gptForward

interface ForwardOptions {
  noMask?: boolean;
  noPositions?: boolean;
  noFinalNorm?: boolean;
  /** Add the position rows T−1 … 0 instead of 0 … T−1. */
  positionsReversed?: boolean;
  /** logits = h·tokenEmbeddingᵀ + head.b (the output layer tied to the token embeddings) instead of h·head.w + head.b. */
  tiedHead?: boolean;
}

const encoder = encoderWith({});

function forwardWith(o: ForwardOptions): Forward {
  return (params, ids) =>
    tf.tidy(() => {
      const [b, t] = ids.shape as number[];
      const { d, vocabSize } = params.config;
      let x = tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), vocabSize), params.tokenEmbedding), [b, t, d]);
      if (!o.noPositions) {
        const rows = tf.slice(params.positionEmbedding, [0, 0], [t, d]);
        x = tf.add(x, o.positionsReversed ? tf.reverse(rows, 0) : rows);
      }
      const mask = o.noMask ? undefined : tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
      for (const layer of params.layers) x = encoder(layer, x, mask).output;
      const h = o.noFinalNorm ? x : lnOf(x, params.finalNorm);
      const logits = o.tiedHead ? dense(h, params.tokenEmbedding, params.head.b, true) : dense(h, params.head.w, params.head.b);
      return tf.reshape(logits, [b, t, vocabSize]);
    });
}

export const GPT_FORWARD_MISCONCEPTIONS: readonly Misconception<Forward>[] = [
  {
    exercise: "5.4",
    id: "no-causal-mask",
    looksLike: "a GPT whose layers run without the causal mask (every position sees the whole sequence)",
    fix: "pass causalMask(T) to every encoderLayer call: position i may only attend to positions 0 … i",
    fn: forwardWith({ noMask: true }),
  },
  {
    exercise: "5.4",
    id: "no-positions",
    looksLike: "a GPT without the position embeddings",
    fix: "add rows 0 … T−1 of params.positionEmbedding to the token embeddings before the first layer; without them the model cannot tell \"ab\" from \"ba\"",
    fn: forwardWith({ noPositions: true }),
  },
  {
    exercise: "5.4",
    id: "no-final-norm",
    looksLike: "a GPT without the final layer norm before the output layer",
    fix: "after the last layer, apply layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta), then the output layer",
    fn: forwardWith({ noFinalNorm: true }),
  },
  {
    exercise: "5.4",
    id: "positions-reversed",
    looksLike: "a GPT that adds the position embeddings in reverse order (row T−1 to the first token, … row 0 to the last)",
    fix: "the token at position i gets row i of params.positionEmbedding: add tf.slice(positionEmbedding, [0, 0], [T, d]) as it is (no tf.reverse)",
    fn: forwardWith({ positionsReversed: true }),
  },
  {
    exercise: "5.4",
    id: "tied-output-layer",
    looksLike: "a GPT whose output layer is tied to the token embeddings (logits = h·tokenEmbeddingᵀ + head.b, as GPT-2 does) instead of using head.w",
    fix: "the kit's GPT has its own output layer: logits = LN(x)·params.head.w + params.head.b (head.w is [d, vocabSize], trained separately from tokenEmbedding)",
    fn: forwardWith({ tiedHead: true }),
  },
];
