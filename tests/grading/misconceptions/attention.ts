/**
 * Misconception variants for the exercises in lib/attention.ts
 * (1.1 softmax, 1.2 scaledDotProductAttention, 1.3 causalMask, 1.4 paddingMask).
 *
 * Variants are self-contained (they never call the student's code nor the reference), wrap their
 * work in tf.tidy (so they fail only on what they are meant to get wrong, not on leaks) and skip
 * input validation (see misconceptions/tensors.ts for why).
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionModule, Misconception } from "../../../grader/types";

type Softmax = AttentionModule["softmax"];
type Attention = AttentionModule["scaledDotProductAttention"];
type CausalMask = AttentionModule["causalMask"];
type PaddingMask = AttentionModule["paddingMask"];
type AttentionResult = ReturnType<Attention>;

function stableSoftmax(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
    return tf.div(e, tf.sum(e, axis, true));
  });
}

// ---------------------------------------------------------------------------------------------
// 1.1 softmax

export const SOFTMAX_MISCONCEPTIONS: readonly Misconception<Softmax>[] = [
  {
    exercise: "1.1",
    id: "naive",
    looksLike: "a naive softmax without subtracting the maximum (exp overflows to Infinity, giving NaN)",
    fix: "subtract tf.max(x, axis, true) from x before tf.exp; softmax(x) = softmax(x - c)",
    fn: (x, axis = -1) =>
      tf.tidy(() => {
        const e = tf.exp(x);
        return tf.div(e, tf.sum(e, axis, true));
      }),
  },
  {
    exercise: "1.1",
    id: "ignores-axis",
    looksLike: "a softmax over the last axis whatever `axis` says",
    fix: "pass `axis` to tf.max and tf.sum (with keepDims = true) instead of using the default last axis",
    fn: (x) => stableSoftmax(x, -1),
  },
  {
    exercise: "1.1",
    id: "no-keepdims",
    looksLike: "a softmax whose max and sum drop the reduced axis (keepDims = false), so they broadcast against the wrong axis",
    fix: "call tf.max(x, axis, true) and tf.sum(e, axis, true): keepDims = true keeps the reduced axis as size 1",
    fn: (x, axis = -1) =>
      tf.tidy(() => {
        const e = tf.exp(tf.sub(x, tf.max(x, axis)));
        return tf.div(e, tf.sum(e, axis));
      }),
  },
  {
    exercise: "1.1",
    id: "max-over-last-axis",
    looksLike: "a softmax over `axis` that subtracts the maximum over the last axis (tf.max(x, -1, true)) instead of over `axis`",
    fix: "subtract a constant of each slice the softmax normalises: tf.max(x, axis, true) — the maximum over the last axis varies along `axis` and changes the result",
    fn: (x, axis = -1) =>
      tf.tidy(() => {
        const e = tf.exp(tf.sub(x, tf.max(x, -1, true)));
        return tf.div(e, tf.sum(e, axis, true));
      }),
  },
];


// ---------------------------------------------------------------------------------------------
// 1.2 scaledDotProductAttention

interface AttendOptions {
  scale?: (dk: number) => number;
  softmaxAxis?: number;
  /** How the mask enters: "reference" is right; the others are the mistakes. */
  mask?: "reference" | "inverted" | "after-softmax" | "neg-infinity" | "uniform-empty-rows";
  /** false: the "weights" are the (masked) scaled scores, no softmax at all. */
  normalise?: boolean;
  transposeV?: boolean;
  swapKV?: boolean;
}

/** Attention with one deliberate mistake, selected by `o`; with no options it is correct. */
export function attendWith(o: AttendOptions): Attention {
  return (q, k, v, mask) =>
    tf.tidy(() => {
      const [keys, vals] = o.swapKV ? [v, k] : [k, v];
      const dk = q.shape[q.rank - 1];
      const scores = tf.mul(tf.matMul(q, keys, false, true), (o.scale ?? ((d: number) => 1 / Math.sqrt(d)))(dk));
      const axis = o.softmaxAxis ?? -1;
      let weights: tf.Tensor;
      if (mask === undefined) {
        weights = o.normalise === false ? scores : stableSoftmax(scores, axis);
      } else {
        let allowed = tf.cast(tf.notEqual(mask, 0), "float32");
        if (o.mask === "inverted") allowed = tf.sub(1, allowed);
        const blocked = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
        if (o.normalise === false) weights = tf.mul(scores, allowed);
        else if (o.mask === "after-softmax") weights = tf.mul(stableSoftmax(scores, axis), allowed);
        else if (o.mask === "neg-infinity") weights = stableSoftmax(tf.where(tf.cast(allowed, "bool"), scores, tf.fill(scores.shape, -Infinity)), axis);
        else if (o.mask === "uniform-empty-rows") weights = stableSoftmax(blocked, axis);
        else weights = tf.mul(stableSoftmax(blocked, axis), allowed);
      }
      const output = tf.matMul(weights, vals, false, Boolean(o.transposeV));
      return { output, weights };
    }) as AttentionResult;
}

export const ATTENTION_MISCONCEPTIONS: readonly Misconception<Attention>[] = [
  {
    exercise: "1.2",
    id: "no-scale",
    looksLike: "attention without the 1/sqrt(d_k) scale",
    fix: "divide the scores by Math.sqrt(dk) (dk = the last dimension of q) before the softmax",
    fn: attendWith({ scale: () => 1 }),
  },
  {
    exercise: "1.2",
    id: "scale-by-dk",
    looksLike: "attention with the scores scaled by 1/d_k instead of 1/sqrt(d_k)",
    fix: "divide by Math.sqrt(dk), not by dk",
    fn: attendWith({ scale: (dk) => 1 / dk }),
  },
  {
    exercise: "1.2",
    id: "softmax-query-axis",
    looksLike: "attention with the softmax taken over the query axis (columns sum to 1 instead of rows)",
    fix: "normalise over the keys: softmax(scores, -1), so each query's weights sum to 1",
    fn: attendWith({ softmaxAxis: -2 }),
  },
  {
    exercise: "1.2",
    id: "mask-inverted",
    looksLike: "attention with the mask polarity inverted (positions where mask = 0 are attended)",
    fix: "mask = 1 means 'may attend' and 0 means 'blocked': block the scores where mask == 0",
    fn: attendWith({ mask: "inverted" }),
  },
  {
    exercise: "1.2",
    id: "mask-after-softmax",
    looksLike: "attention with the mask applied after the softmax without renormalising (rows no longer sum to 1)",
    fix: "mask the scores before the softmax (set blocked scores to a large negative number such as -1e9)",
    fn: attendWith({ mask: "after-softmax" }),
  },
  {
    exercise: "1.2",
    id: "unnormalised",
    looksLike: "attention whose weights are the raw scaled scores (no softmax)",
    fix: "the weights are softmax(q·kᵀ / sqrt(dk)) over the keys; the output is weights·v",
    fn: attendWith({ normalise: false }),
  },
  {
    exercise: "1.2",
    id: "v-transposed",
    looksLike: "attention with the output computed as weights·vᵀ",
    fix: "the output is tf.matMul(weights, v) with no transpose: [..., Tq, Tk] x [..., Tk, dv]",
    fn: attendWith({ transposeV: true }),
  },
  {
    exercise: "1.2",
    id: "kv-swapped",
    looksLike: "attention with k and v swapped (scores from q·vᵀ, output from weights·k)",
    fix: "the scores compare q with the keys k; the output averages the values v",
    fn: attendWith({ swapKV: true }),
  },
  {
    exercise: "1.2",
    id: "neg-infinity",
    looksLike: "attention that blocks scores with -Infinity (a fully masked row becomes NaN)",
    fix: "use a large finite negative number (e.g. -1e9) for blocked scores, then zero the weights of fully masked rows",
    fn: attendWith({ mask: "neg-infinity" }),
  },
  {
    exercise: "1.2",
    id: "uniform-empty-rows",
    looksLike: "attention that gives a fully masked row uniform weights (the average of all values)",
    fix: "after the softmax, multiply the weights by the mask so a query with nothing to attend to gets all-zero weights and a zero output",
    fn: attendWith({ mask: "uniform-empty-rows" }),
  },
];


// ---------------------------------------------------------------------------------------------
// 1.3 causalMask

export const CAUSAL_MASK_MISCONCEPTIONS: readonly Misconception<CausalMask>[] = [
  {
    exercise: "1.3",
    id: "upper",
    looksLike: "an upper-triangular mask (each position attends to the future)",
    fix: "keep the lower triangle: mask[i][j] = 1 when j <= i (tf.linalg.bandPart(ones, -1, 0))",
    fn: (n) => tf.tidy(() => tf.linalg.bandPart(tf.ones([n, n]), 0, -1) as tf.Tensor2D),
  },
  {
    exercise: "1.3",
    id: "strictly-lower",
    looksLike: "a strictly lower-triangular mask (the diagonal is blocked)",
    fix: "a position may attend to itself: use j <= i, not j < i",
    fn: (n) => tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), tf.eye(n)) as tf.Tensor2D),
  },
  {
    exercise: "1.3",
    id: "bool-dtype",
    looksLike: "the right pattern with dtype bool",
    fix: "return float32 (1 and 0): tf.cast(mask, \"float32\")",
    fn: (n) => tf.tidy(() => tf.cast(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), "bool") as tf.Tensor2D),
  },
];


// ---------------------------------------------------------------------------------------------
// 1.4 paddingMask

function paddingWith(o: { inverted?: boolean; inclusive?: boolean; flat?: boolean }): PaddingMask {
  return (lengths, maxLen) =>
    tf.tidy(() => {
      const pos = tf.range(0, maxLen, 1, "int32").reshape([1, maxLen]);
      const lens = tf.tensor1d(lengths as number[], "int32").reshape([lengths.length, 1]);
      let m = tf.cast(o.inclusive ? tf.lessEqual(pos, lens) : tf.less(pos, lens), "float32");
      if (o.inverted) m = tf.sub(1, m);
      return (o.flat ? m : m.reshape([lengths.length, 1, maxLen])) as tf.Tensor3D;
    });
}

export const PADDING_MASK_MISCONCEPTIONS: readonly Misconception<PaddingMask>[] = [
  {
    exercise: "1.4",
    id: "inverted",
    looksLike: "an inverted padding mask (1 on the padding, 0 on the real tokens)",
    fix: "mask[b, 0, j] = 1 for real tokens (j < lengths[b]) and 0 for padding",
    fn: paddingWith({ inverted: true }),
  },
  {
    exercise: "1.4",
    id: "off-by-one",
    looksLike: "a padding mask that is off by one (j <= length)",
    fix: "positions are 0-based: a sequence of length L covers j = 0 … L-1, so use j < lengths[b]",
    fn: paddingWith({ inclusive: true }),
  },
  {
    exercise: "1.4",
    id: "flat",
    looksLike: "the right pattern with shape [B, maxLen]",
    fix: "return shape [B, 1, maxLen] (reshape) so the mask broadcasts against scores [B, Tq, Tk]",
    fn: paddingWith({ flat: true }),
  },
];

