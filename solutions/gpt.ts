/**
 * Reference solutions for notebook 05 (a decoder-only, GPT-style language model).
 *
 * A GPT reads tokens left to right and, at every position, predicts the next one. The model is
 * the encoder layer of notebook 03 run under a causal mask: position i attends to positions
 * 0 … i only, so one forward pass over a sequence makes a prediction at every position at once
 * (training), and the same model can be run one token at a time (generation).
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt, requireTensor, within } from "../lib/support/checks";
import { cacheLength, checkDecodeStep, checkGptIds } from "../lib/support/models/gpt";
import { seededRandom } from "../lib/support/random";
import { embed } from "../lib/support/train";
import { causalMask, scaledDotProductAttention } from "./attention";
import { encoderLayer, feedForward, layerNorm } from "./blocks";
import { mergeHeads, splitHeads } from "./multihead";
import type { DecodeStepResult, GptParams, KVCache, LayerKV, SampleOptions } from "../lib/support/types";
export type { DecodeStepResult, GptConfig, GptParams, KVCache, LayerKV, SampleOptions } from "../lib/support/types";

/**
 * Exercise 5.1: the next-token loss of a language model, in nats per token.
 *
 * logits [B, T, V] are the model's outputs for ids [B, T] (int32): logits[b, t] is its guess for
 * the token AFTER position t, so it is scored against ids[b, t + 1] (the last position has no
 * next token and is not scored). Targets equal to padId are padding and are left out; the
 * result is the mean of −log softmax(logits[b, t])[ids[b, t + 1]] over the real targets (not
 * over rows: a long name weighs more than a short one, as each of its letters is a prediction).
 */
export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  const fn = "nextTokenLoss";
  requireTensor(fn, "logits", logits, { rank: 3, dtypes: ["float32"], pattern: "[B, T, V]" });
  requireTensor(fn, "ids", ids, { rank: 2, dtypes: ["int32"], pattern: "[B, T]" });
  requireInt(fn, "padId", padId, Number.MIN_SAFE_INTEGER);
  const [b, t, v] = logits.shape as number[];
  if (ids.shape[0] !== b || ids.shape[1] !== t) {
    throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} must be [B, T] = [${b},${t}] for logits ${fmtShape(logits.shape)} (the logits of these very ids, before any shift)`);
  }
  if (t < 2) throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} have T = ${t}: a next-token loss needs at least 2 positions`);
  const targetIds = tf.tidy(() => tf.slice(ids, [0, 1], [b, t - 1]));
  const values = targetIds.dataSync();
  targetIds.dispose();
  let real = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === padId) continue;
    if (values[i] < 0 || values[i] >= v) {
      throw new LabInputError(`${fn}: ids[${Math.floor(i / (t - 1))}][${(i % (t - 1)) + 1}] = ${values[i]} is not a token id for logits with V = ${v}`);
    }
    real++;
  }
  if (real === 0) throw new LabInputError(`${fn}: every target in ids ${fmtShape(ids.shape)} is padding (padId ${padId}): there is nothing to score`);
  return tf.tidy(() => {
    const predictions = tf.slice(logits, [0, 0, 0], [b, t - 1, v]); // [B, T-1, V]: positions 0 … T-2
    const targets = tf.slice(ids, [0, 1], [b, t - 1]); // [B, T-1]: the tokens they predict
    const logProbs = tf.logSoftmax(predictions, -1); // over the vocabulary, per position
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(targets, v)), -1); // [B, T-1]: log p(target)
    const isReal = tf.cast(tf.notEqual(targets, padId), "float32"); // [B, T-1]: 0 at padding
    return tf.div(tf.neg(tf.sum(tf.mul(picked, isReal))), tf.sum(isReal)) as tf.Scalar;
  });
}

/**
 * Exercise 5.2: draw the next token from logits [B, V] (one row per sequence; a [V] tensor is
 * one row). Returns B token ids.
 *
 * - temperature T (default 1): p = softmax(logits / T). T < 1 sharpens the distribution, T > 1
 *   flattens it; T = 0 means greedy: the arg-max (the lowest id among ties), no randomness.
 * - topK k (default V): only the k largest logits keep their chance, renormalised; exactly k
 *   tokens survive (ties at the k-th place go to the lower id).
 * - seed: row b draws u, the (b+1)-th number of seededRandom(seed), and takes the first id
 *   whose cumulative probability p[0] + … + p[id] exceeds u (inverse-CDF sampling). The same
 *   seed gives the same tokens; a generation loop passes a new seed at every step.
 * Bad input: temperature < 0 or not finite, topK not an integer in [1, V], no seed when
 * temperature > 0, NaN or +Infinity logits: a LabInputError. (−Infinity is allowed: probability 0.)
 */
export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  const fn = "sampleNext";
  requireTensor(fn, "logits", logits, { dtypes: ["float32"], pattern: "[B, V] (or [V])" });
  if (logits.rank !== 1 && logits.rank !== 2) throw new LabInputError(`${fn}: argument "logits" [B, V] (or [V]) must have rank 1 or 2, got shape ${fmtShape(logits.shape)}`);
  const v = logits.shape[logits.rank - 1];
  const b = logits.rank === 2 ? logits.shape[0] : 1;
  const { temperature = 1, topK = v, seed } = opts ?? {};
  if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature < 0) {
    throw new LabInputError(`${fn}: option "temperature" must be a finite number >= 0 (0 = greedy), got ${temperature}`);
  }
  requireInt(fn, "topK", topK, 1, v);
  if (temperature > 0 && (!Number.isInteger(seed) || seed === 0)) {
    throw new LabInputError(`${fn}: option "seed" must be a non-zero integer when temperature > 0 (got ${seed}), so the sample can be repeated; pass a new seed at every step`);
  }
  const rows = tf.tidy(() => tf.reshape(logits, [b, v]));
  try {
    const values = rows.dataSync();
    for (let i = 0; i < values.length; i++) {
      if (Number.isNaN(values[i]) || values[i] === Infinity) throw new LabInputError(`${fn}: logits[${Math.floor(i / v)}][${i % v}] is ${values[i]}; every logit must be a number or -Infinity`);
    }
    for (let r = 0; r < b; r++) {
      let finite = false;
      for (let i = 0; i < v && !finite; i++) finite = values[r * v + i] > -Infinity;
      if (!finite) throw new LabInputError(`${fn}: every logit of row ${r} is -Infinity: no token has any probability`);
    }
    if (temperature === 0) return greedy(values, b, v);
    const probs = tf.tidy(() => {
      let scaled = tf.div(rows, temperature); // temperature acts on the logits, before the softmax
      if (topK < v) {
        const kept = tf.sum(tf.oneHot(tf.topk(scaled, topK).indices, v), 1); // [B, V]: 1 for the k largest
        scaled = tf.where(tf.greater(kept, 0), scaled, tf.fill([b, v], -Infinity));
      }
      return tf.softmax(scaled); // [B, V]; the dropped tokens get exactly 0
    });
    const p = probs.dataSync();
    probs.dispose();
    const random = seededRandom(seed as number);
    const out: number[] = [];
    for (let r = 0; r < b; r++) {
      const u = random();
      let cumulative = 0;
      let chosen = -1;
      for (let i = 0; i < v; i++) {
        const pi = p[r * v + i];
        if (pi === 0) continue;
        chosen = i; // the last token with p > 0, in case rounding leaves the total just under u
        cumulative += pi;
        if (cumulative > u) break;
      }
      out.push(chosen);
    }
    return out;
  } finally {
    rows.dispose();
  }
}

/** The arg-max of every row (lowest id among ties). */
function greedy(values: ArrayLike<number>, b: number, v: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < b; r++) {
    let best = 0;
    for (let i = 1; i < v; i++) if (values[r * v + i] > values[r * v + best]) best = i;
    out.push(best);
  }
  return out;
}

/** x [B, 1, d] · w [d, d'] + b: a dense layer on one position of every sequence. */
function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [b, , d] = x.shape as number[];
  const y = tf.reshape(tf.matMul(tf.reshape(x, [b, d]), w), [b, 1, w.shape[1] as number]);
  return bias ? tf.add(y, bias) : y;
}

/**
 * Exercise 5.3: one decoding step with a key/value cache.
 *
 * token: the id fed to each of the B sequences at this step. cache: null at the first step,
 * afterwards what the previous step returned; it holds, for every layer, the keys and values of
 * the t positions decoded so far, [B, h, t, dh] each. This token sits at position t.
 *   x = tokenEmbedding[token] + positionEmbedding[t]                       [B, 1, d]
 *   per layer: n = LN1(x); q, k, v = n·wq + bq, n·wk + bk, n·wv + bv, split into heads [B, h, 1, dh];
 *     K, V = the cached keys and values with k and v appended on the position axis   [B, h, t+1, dh]
 *     x = x + mergeHeads(attention(q, K, V))·wo + bo;  x = x + FFN(LN2(x))
 *   logits = LN(x)·head.w + head.b                                          [B, V]
 * The one new query may look at every cached position (all are in its past), so no mask is
 * needed. Returns the logits and the new cache (t + 1 positions); the input cache is not changed.
 * Its logits equal position t of gptForward on the whole sequence, at a fraction of the cost.
 * Bad input: a token outside the vocabulary, a cache of another batch size or layer count, or a
 * cache that already fills the context: a LabInputError.
 */
export function decodeStepWithCache(params: GptParams, token: readonly number[], cache: KVCache | null): DecodeStepResult {
  const fn = "decodeStepWithCache";
  const b = checkDecodeStep(fn, params, token, cache);
  const t = cacheLength(cache); // positions already cached = this token's position
  const { d, vocabSize } = params.config;
  return tf.tidy(() => {
    const ids = tf.tensor2d(token as number[], [b, 1], "int32");
    let x = tf.add(embed(params.tokenEmbedding, ids), tf.slice(params.positionEmbedding, [t, 0], [1, d])); // [B, 1, d]
    const layers: LayerKV[] = params.layers.map((layer, i) => within(fn, `params.layers[${i}]`, () => {
      const a = layer.selfAttn;
      const n1 = layerNorm(x, layer.norm1.gamma, layer.norm1.beta);
      const q = splitHeads(dense(n1, a.wq, a.bq), a.numHeads); // [B, h, 1, dh]
      const kNew = splitHeads(dense(n1, a.wk, a.bk), a.numHeads);
      const vNew = splitHeads(dense(n1, a.wv, a.bv), a.numHeads);
      const past = cache?.layers[i];
      const k = past ? tf.concat([past.k, kNew], 2) : kNew; // [B, h, t+1, dh]: axis 2 is the position
      const v = past ? tf.concat([past.v, vNew], 2) : vNew;
      const attended = scaledDotProductAttention(q, k, v).output; // [B, h, 1, dh]
      x = tf.add(x, dense(mergeHeads(attended), a.wo, a.bo));
      x = tf.add(x, feedForward(layer.ffn, layerNorm(x, layer.norm2.gamma, layer.norm2.beta)));
      return { k, v };
    }));
    const h = layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
    const logits = tf.reshape(dense(h, params.head.w, params.head.b), [b, vocabSize]);
    return { logits, cache: { layers } } as unknown as tf.TensorContainer;
  }) as unknown as DecodeStepResult;
}

/**
 * Exercise 5.4: the GPT's forward pass, logits [B, T, V] for ids [B, T] (int32, T ≤ context):
 *   x = tokenEmbedding[ids] + positionEmbedding[0 … T−1]      [B, T, d]
 *   x = encoderLayer(layer, x, causalMask(T)).output, layer after layer
 *   logits = layerNorm(x, finalNorm)·head.w + head.b           [B, T, V]
 * There is no cross-attention: a decoder-only model is a stack of self-attention blocks whose
 * mask hides the future. Bad input (ids not int32 [B, T], longer than the context, ids outside
 * the vocabulary): a LabInputError.
 */
export function gptForward(params: GptParams, ids: tf.Tensor): tf.Tensor {
  const fn = "gptForward";
  checkGptIds(fn, params, ids);
  const [b, t] = ids.shape as number[];
  const { d, vocabSize } = params.config;
  return tf.tidy(() => {
    const positions = tf.slice(params.positionEmbedding, [0, 0], [t, d]); // [T, d]: rows 0 … T−1
    let x = tf.add(embed(params.tokenEmbedding, ids), positions); // [B, T, d]
    const mask = causalMask(t); // [T, T]: position i sees positions 0 … i
    params.layers.forEach((layer, i) => {
      x = within(fn, `params.layers[${i}]`, () => encoderLayer(layer, x, mask).output); // [B, T, d]
    });
    const h = within(fn, "params.finalNorm", () => layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta)); // [B, T, d]
    const logits = tf.add(tf.matMul(tf.reshape(h, [b * t, d]), params.head.w), params.head.b); // [B·T, V]
    return tf.reshape(logits, [b, t, vocabSize]); // [B, T, V]
  });
}
