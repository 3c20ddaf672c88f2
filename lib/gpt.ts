/**
 * YOUR CODE for notebook 05 (a decoder-only, GPT-style language model of first names).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 5.1` (… 5.4).
 *
 * A GPT is notebook 03's encoder layer run under a causal mask: position i attends to positions
 * 0 … i only. Build on your own functions: causalMask and scaledDotProductAttention
 * (./attention), splitHeads and mergeHeads (./multihead), layerNorm, feedForward and
 * encoderLayer (./blocks). Rules the grader checks: new tensors out, inputs untouched, no leaks
 * (tf.tidy), documented shapes, and bad input rejected with an Error naming the function and the
 * shapes or values involved (lib/support/checks.ts has helpers).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { DecodeStepResult, GptParams, KVCache, SampleOptions } from "./support/types";
// The types these functions take and return (GptParams, KVCache, …) are defined once, in lib/support/types.ts.
export type { DecodeStepResult, GptConfig, GptParams, KVCache, LayerKV, SampleOptions } from "./support/types";

/**
 * Exercise 5.1: the next-token loss of a language model, in nats per token.
 *
 * logits [B, T, V] are the model's outputs for ids [B, T] (int32): logits[b, t] is its guess for
 * the token AFTER position t, so it is scored against ids[b, t + 1] (the last position has no
 * next token and is not scored). Targets equal to padId are padding and are left out; the
 * result is the mean of −log softmax(logits[b, t])[ids[b, t + 1]] over the real targets (not
 * over rows: a long name weighs more than a short one, as each of its letters is a prediction).
 * Returns a scalar. Bad input: logits not float32 [B, T, V], ids not int32 [B, T] of the same B
 * and T, T < 2, a target outside [0, V), or no real target at all: an Error.
 */
export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return todo("5.1");
}

/**
 * Exercise 5.2: draw the next token from logits [B, V] (one row per sequence; a [V] tensor is
 * one row). Returns B token ids (plain numbers).
 *
 * - temperature T (default 1): p = softmax(logits / T). T < 1 sharpens the distribution, T > 1
 *   flattens it; T = 0 means greedy: the arg-max (the lowest id among ties), no randomness.
 * - topK k (default V): only the k largest logits keep their chance, renormalised; exactly k
 *   tokens survive (ties at the k-th place go to the lower id; tf.topk does that).
 * - seed: row b draws u, the (b+1)-th number of seededRandom(seed) (./support/random), and
 *   takes the first id whose cumulative probability p[0] + … + p[id] exceeds u (inverse-CDF
 *   sampling). The same seed gives the same tokens; a generation loop passes a new seed at every
 *   step.
 * Bad input: temperature < 0 or not finite, topK not an integer in [1, V], no seed when
 * temperature > 0, NaN or +Infinity logits: an Error. (−Infinity is allowed: probability 0.)
 */
export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  return todo("5.2");
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
 * Its logits must equal position t of gptForward on the whole sequence.
 * Hints: embed(table, ids) from ./support/train looks rows up; params.config has d, V and the
 * context; checkDecodeStep and cacheLength in ./support/models/gpt check the arguments and count
 * the cached positions. (Its decodeStepFast does the whole step on the fast path: the grader
 * notices a decodeStepWithCache that runs it.) Bad input: a token outside the vocabulary, a cache
 * of another batch size or layer count, or a cache that already fills the context: an Error.
 */
export function decodeStepWithCache(params: GptParams, token: readonly number[], cache: KVCache | null): DecodeStepResult {
  return todo("5.3");
}

/**
 * Exercise 5.4: the GPT's forward pass, logits [B, T, V] for ids [B, T] (int32, T ≤ context):
 *   x = tokenEmbedding[ids] + positionEmbedding[0 … T−1]      [B, T, d]
 *   x = encoderLayer(layer, x, causalMask(T)).output, layer after layer
 *   logits = layerNorm(x, finalNorm)·head.w + head.b           [B, T, V]
 * There is no cross-attention: a decoder-only model is a stack of self-attention blocks whose
 * mask hides the future. Use YOUR encoderLayer, layerNorm and causalMask; embed(table, ids) from
 * ./support/train looks rows up (tf.gather works too, but cannot be trained on wasm).
 * The support code's fast path (gptForwardFast in ./support/models/gpt) computes the same logits;
 * the grader notices a gptForward that runs it and gives such a submission no marks: this
 * exercise is the composition itself. (checkGptIds from there is fine for the input checks.)
 * Bad input (ids not int32 [B, T], longer than the context, ids outside the vocabulary): an Error.
 */
export function gptForward(params: GptParams, ids: tf.Tensor): tf.Tensor {
  return todo("5.4");
}
