/**
 * Misconception variants for the exercises in lib/bert.ts
 * (4.1 mlmMask, 4.2 clsPool, 4.3 classifierHead, 4.4 encoderForward).
 *
 * Self-contained like the other variants (never the student's code nor the reference), tf.tidy,
 * no input checks. mlmMask's variants draw the documented random numbers (u, a, r from
 * randu(shape, seed), seed + 1, seed + 2) and make one mistake each; encoderForward's build on
 * the correct encoder layer of misconceptions/blocks.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { BertModule, Misconception } from "../../../grader/types";
import { randu } from "../../../lib/support/random";
import { encoderWith } from "./blocks";

type MlmMask = BertModule["mlmMask"];
type ClsPool = BertModule["clsPool"];
type ClassifierHead = BertModule["classifierHead"];
type EncoderForward = BertModule["encoderForward"];

const IGNORE = -100;

// ---------------------------------------------------------------------------------------------
// 4.1 mlmMask

interface MaskOptions {
  /** Choose among every position, special ids included. */
  specialsEligible?: boolean;
  /** labels = ids everywhere. */
  labelsEverywhere?: boolean;
  /** Every chosen position becomes [MASK]. */
  allMask?: boolean;
  /** Random tokens drawn from the whole vocabulary: floor(r · V). */
  randomFromVocab?: boolean;
}

function maskWith(o: MaskOptions): MlmMask {
  return (ids, options) =>
    tf.tidy(() => {
      const { maskId, vocabSize, rate = 0.15, seed, specialIds } = options;
      const shape = ids.shape as [number, number];
      const u = randu(shape, seed);
      const a = randu(shape, seed + 1);
      const r = randu(shape, seed + 2);
      const excluded = new Set([...specialIds, maskId]);
      const regular = Array.from({ length: vocabSize }, (_, i) => i).filter((i) => !excluded.has(i));
      const pool = o.randomFromVocab ? Array.from({ length: vocabSize }, (_, i) => i) : regular;
      const n = pool.length;
      const special = specialIds.reduce((acc, id) => tf.logicalOr(acc, tf.equal(ids, id)), tf.zeros(shape, "bool"));
      const chosen = o.specialsEligible ? tf.less(u, rate) : tf.logicalAnd(tf.less(u, rate), tf.logicalNot(special));
      const toMask = o.allMask ? chosen : tf.logicalAnd(chosen, tf.less(a, 0.8));
      const toRandom = o.allMask ? tf.zeros(shape, "bool") : tf.logicalAnd(chosen, tf.logicalAnd(tf.greaterEqual(a, 0.8), tf.less(a, 0.9)));
      const pick = tf.cast(tf.clipByValue(tf.floor(tf.mul(r, n)), 0, n - 1), "int32");
      const randomIds = tf.reshape(tf.gather(tf.tensor1d(pool, "int32"), tf.reshape(pick, [-1])), shape);
      const inputs = tf.where(toMask, tf.fill(shape, maskId, "int32"), tf.where(toRandom, randomIds, ids));
      const labels = o.labelsEverywhere ? tf.clone(ids) : tf.where(chosen, ids, tf.fill(shape, IGNORE, "int32"));
      return { inputs, labels };
    });
}

export const MLM_MASK_MISCONCEPTIONS: readonly Misconception<MlmMask>[] = [
  {
    exercise: "4.1",
    id: "specials-eligible",
    looksLike: "masking that also chooses padding, [CLS] and [SEP] positions",
    fix: "a position is eligible only if its id is not in specialIds: chosen = (u < rate) AND NOT special (tf.logicalAnd, tf.logicalNot)",
    fn: maskWith({ specialsEligible: true }),
  },
  {
    exercise: "4.1",
    id: "labels-everywhere",
    looksLike: "masking whose labels hold the original id at every position",
    fix: "only chosen positions are scored: labels = tf.where(chosen, ids, IGNORE_INDEX), so the loss ignores the rest",
    fn: maskWith({ labelsEverywhere: true }),
  },
  {
    exercise: "4.1",
    id: "all-mask",
    looksLike: "masking that turns every chosen position into [MASK] (no random tokens, nothing left unchanged)",
    fix: "of the chosen positions, 80% (a < 0.8) become [MASK], 10% (0.8 <= a < 0.9) a random regular token, 10% keep their id",
    fn: maskWith({ allMask: true }),
  },
  {
    exercise: "4.1",
    id: "random-from-vocab",
    looksLike: "masking that draws random tokens from the whole vocabulary, special ids included",
    fix: "draw from the regular ids only: regular = the ids of [0, vocabSize) not in specialIds and not maskId, then regular[min(floor(r·n), n − 1)]",
    fn: maskWith({ randomFromVocab: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 4.2 clsPool

export const CLS_POOL_MISCONCEPTIONS: readonly Misconception<ClsPool>[] = [
  {
    exercise: "4.2",
    id: "last-position",
    looksLike: "pooling the last position (what a left-to-right model would use)",
    fix: "BERT's [CLS] token is at position 0: hidden[:, 0, :], e.g. tf.squeeze(tf.slice(hidden, [0, 0, 0], [B, 1, d]), [1])",
    fn: (hidden) =>
      tf.tidy(() => {
        const [b, t, d] = hidden.shape as number[];
        return tf.reshape(tf.slice(hidden, [0, t - 1, 0], [b, 1, d]), [b, d]);
      }),
  },
  {
    exercise: "4.2",
    id: "mean-pool",
    looksLike: "mean pooling over every position (padding included)",
    fix: "take the vector at position 0 ([CLS]); a mean over positions also averages the padding, which carries no message",
    fn: (hidden) => tf.tidy(() => tf.mean(hidden, 1)),
  },
];

// ---------------------------------------------------------------------------------------------
// 4.3 classifierHead

const dense = (x: tf.Tensor, p: { w: tf.Tensor; b: tf.Tensor }) => tf.add(tf.matMul(x, p.w), p.b);

export const CLASSIFIER_HEAD_MISCONCEPTIONS: readonly Misconception<ClassifierHead>[] = [
  {
    exercise: "4.3",
    id: "no-tanh",
    looksLike: "a classification head without the pooler's tanh",
    fix: "logits = tanh(pooled·pooler.w + pooler.b)·output.w + output.b: apply tf.tanh to the pooler layer's output",
    fn: (p, pooled) => tf.tidy(() => dense(dense(pooled, p.pooler), p.output)),
  },
  {
    exercise: "4.3",
    id: "softmax-output",
    looksLike: "a classification head that returns probabilities (a softmax over the logits)",
    fix: "return the logits themselves: the loss (softmax cross-entropy) and classProbabilities apply the softmax",
    fn: (p, pooled) => tf.tidy(() => tf.softmax(dense(tf.tanh(dense(pooled, p.pooler)), p.output))),
  },
];

// ---------------------------------------------------------------------------------------------
// 4.4 encoderForward

const encoderLayer = encoderWith({});

function layerNorm(x: tf.Tensor, p: { gamma: tf.Tensor; beta: tf.Tensor }): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p.gamma), p.beta);
}

function encoderForwardWith(o: { dropMask?: boolean; noFinalNorm?: boolean }): EncoderForward {
  return (params, ids, paddingMask) =>
    tf.tidy(() => {
      const t = ids.shape[1] as number;
      const d = params.tokenEmbedding.shape[1] as number;
      let x = tf.add(tf.gather(params.tokenEmbedding, ids), tf.slice(params.positionEmbedding, [0, 0], [t, d]));
      const weights: tf.Tensor[] = [];
      for (const layer of params.layers) {
        const r = encoderLayer(layer, x, o.dropMask ? undefined : paddingMask);
        x = r.output;
        weights.push(r.selfWeights);
      }
      const output = o.noFinalNorm ? x : layerNorm(x, params.finalNorm);
      return { output, weights } as unknown as tf.TensorContainer;
    }) as unknown as ReturnType<EncoderForward>;
}

export const ENCODER_FORWARD_MISCONCEPTIONS: readonly Misconception<EncoderForward>[] = [
  {
    exercise: "4.4",
    id: "mask-not-passed",
    looksLike: "an encoder that does not pass paddingMask to its layers (every position attends to the padding)",
    fix: "pass paddingMask to every layer: encoderLayer(layer, x, paddingMask)",
    fn: encoderForwardWith({ dropMask: true }),
  },
  {
    exercise: "4.4",
    id: "no-final-norm",
    looksLike: "an encoder without the final layer norm",
    fix: "a pre-norm stack ends un-normalised: output = layerNorm(x, finalNorm.gamma, finalNorm.beta) after the last layer",
    fn: encoderForwardWith({ noFinalNorm: true }),
  },
];
