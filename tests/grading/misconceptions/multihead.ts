/**
 * Misconception variants for the exercises in lib/multihead.ts
 * (2.1 splitHeads, 2.2 mergeHeads, 2.3 multiHeadAttention, 2.4 sinusoidalPositionalEncoding).
 *
 * Like misconceptions/attention.ts: self-contained (never the student's code nor the reference),
 * tf.tidy, no input validation. `mhaWith({})` is a correct multi-head attention; the blocks
 * variants (misconceptions/blocks.ts) build on it.
 */
import * as tf from "@tensorflow/tfjs";
import type { Misconception, MultiheadModule } from "../../../grader/types";

type SplitHeads = MultiheadModule["splitHeads"];
type MergeHeads = MultiheadModule["mergeHeads"];
export type Mha = MultiheadModule["multiHeadAttention"];
type Pe = MultiheadModule["sinusoidalPositionalEncoding"];
type MhaResult = ReturnType<Mha>;

type SplitMode = "reference" | "no-transpose" | "interleaved";

function split(x: tf.Tensor, h: number, mode: SplitMode = "reference"): tf.Tensor {
  const [b, t, d] = x.shape as number[];
  if (mode === "no-transpose") return tf.reshape(x, [b, h, t, d / h]);
  if (mode === "interleaved") return tf.transpose(tf.reshape(x, [b, t, d / h, h]), [0, 3, 1, 2]);
  return tf.transpose(tf.reshape(x, [b, t, h, d / h]), [0, 2, 1, 3]);
}

function merge(x: tf.Tensor, transpose = true): tf.Tensor {
  const [b, h, t, dh] = x.shape as number[];
  return transpose ? tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * dh]) : tf.reshape(x, [b, t, h * dh]);
}

/** y = x·W + b over the last axis of x (W [d_in, d_out]); `transposeW`: y = x·Wᵀ + b. */
export function dense(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor, transposeW = false): tf.Tensor {
  const din = x.shape[x.rank - 1];
  const dout = (transposeW ? w.shape[0] : w.shape[1]) as number;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, din]), w, false, transposeW), [...x.shape.slice(0, -1), dout]);
  return bias ? tf.add(y, bias) : y;
}

export interface MhaOptions {
  split?: SplitMode;
  /** false: merge heads with a plain reshape. */
  mergeTranspose?: boolean;
  noOutputProjection?: boolean;
  /** Apply a rank-2/3 mask to the [B, h, Tq, Tk] scores as it is (no head axis inserted). */
  maskNoHeadAxis?: boolean;
  /** Scale the scores by 1/sqrt(d) (the model width) instead of 1/sqrt(d/h). */
  scaleByModelWidth?: boolean;
  /** y = x·Wᵀ (PyTorch's layout used directly). */
  transposeWeights?: boolean;
  /** Project with tf.matMul([B, T, d], [d, d]): right values, but tfjs 4.22 cannot differentiate it. */
  broadcastMatMul?: boolean;
}

/** Multi-head attention with one deliberate mistake, selected by `o`; with no options it is correct. */
export function mhaWith(o: MhaOptions): Mha {
  return (p, xq, xkv, mask) =>
    tf.tidy(() => {
      const h = p.numHeads;
      const d = xq.shape[2] as number;
      const tw = Boolean(o.transposeWeights);
      const project = (x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor) =>
        o.broadcastMatMul ? (bias ? tf.add(tf.matMul(x, w), bias) : tf.matMul(x, w)) : dense(x, w, bias, tw);
      const q = split(project(xq, p.wq, p.bq), h, o.split);
      const k = split(project(xkv, p.wk, p.bk), h, o.split);
      const v = split(project(xkv, p.wv, p.bv), h, o.split);
      const scale = 1 / Math.sqrt(o.scaleByModelWidth ? d : d / h);
      let scores = tf.mul(tf.matMul(q, k, false, true), scale); // [B, h, Tq, Tk]
      let allowed: tf.Tensor | undefined;
      if (mask !== undefined) {
        let m = mask;
        if (!o.maskNoHeadAxis && mask.rank === 3) m = tf.expandDims(mask, 1);
        allowed = tf.cast(tf.notEqual(m, 0), "float32");
        scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
      }
      let weights = tf.softmax(scores);
      if (allowed) weights = tf.mul(weights, allowed);
      const merged = merge(tf.matMul(weights, v), o.mergeTranspose !== false);
      const output = o.noOutputProjection ? merged : project(merged, p.wo, p.bo);
      return { output, weights };
    }) as MhaResult;
}

/** Every "[2,3,4]" / "2,3,4" / "2x3x4" shape in a message, as "2,3,4". */
function shapesIn(message: string): string[] {
  return (message.replace(/\s+/g, "").replace(/(\d)[x×](?=\d)/g, "$1,").match(/\d+(?:,\d+)+/g) ?? []);
}

/**
 * The student's error names the same shapes as the variant's (e.g. tfjs's "Operands could not be
 * broadcast together with shapes 3,2,5,6 and 3,1,6." against their own
 * "scaledDotProductAttention: mask [3,1,6] does not broadcast to the scores [3,2,5,6]").
 */
export function sameShapesMentioned(studentMessage: string, variantMessage: string): boolean {
  const want = shapesIn(variantMessage);
  const got = new Set(shapesIn(studentMessage));
  return want.length >= 2 && want.every((s) => got.has(s));
}

// ---------------------------------------------------------------------------------------------
// 2.1 splitHeads, 2.2 mergeHeads

export const SPLIT_HEADS_MISCONCEPTIONS: readonly Misconception<SplitHeads>[] = [
  {
    exercise: "2.1",
    id: "no-transpose",
    looksLike: "heads split by reshaping straight to [B, h, T, d/h] (without the transpose, heads mix positions)",
    fix: "reshape to [B, T, h, d/h] first, then tf.transpose(…, [0, 2, 1, 3]) to move the head axis before T",
    fn: (x, h) => tf.tidy(() => split(x, h, "no-transpose")),
  },
  {
    exercise: "2.1",
    id: "interleaved",
    looksLike: "heads taking every h-th feature (reshape to [B, T, d/h, h]) instead of consecutive blocks of d/h features",
    fix: "head i takes features i·d/h … (i+1)·d/h − 1: reshape to [B, T, h, d/h] (h before d/h), then transpose [0, 2, 1, 3]",
    fn: (x, h) => tf.tidy(() => split(x, h, "interleaved")),
  },
];

export const MERGE_HEADS_MISCONCEPTIONS: readonly Misconception<MergeHeads>[] = [
  {
    exercise: "2.2",
    id: "no-transpose",
    looksLike: "heads merged by reshaping [B, h, T, dh] straight to [B, T, h·dh] (without the transpose)",
    fix: "tf.transpose(x, [0, 2, 1, 3]) to [B, T, h, dh] first, then reshape to [B, T, h·dh]",
    fn: (x) => tf.tidy(() => merge(x, false)),
  },
];

// ---------------------------------------------------------------------------------------------
// 2.3 multiHeadAttention

export const MHA_MISCONCEPTIONS: readonly Misconception<Mha>[] = [
  {
    exercise: "2.3",
    id: "split-no-transpose",
    looksLike: "multi-head attention with the heads split by a plain reshape to [B, h, T, d/h] (no transpose)",
    fix: "split each of Q, K, V with a reshape to [B, T, h, d/h] followed by a transpose to [B, h, T, d/h] (your splitHeads)",
    fn: mhaWith({ split: "no-transpose" }),
  },
  {
    exercise: "2.3",
    id: "merge-no-transpose",
    looksLike: "multi-head attention with the heads merged by a plain reshape (no transpose back to [B, T, h, dh])",
    fix: "merge with a transpose to [B, T, h, dh] and then a reshape to [B, T, d] (your mergeHeads)",
    fn: mhaWith({ mergeTranspose: false }),
  },
  {
    exercise: "2.3",
    id: "no-output-projection",
    looksLike: "multi-head attention without the output projection",
    fix: "after merging the heads, apply the output projection: output = merged·wo + bo",
    fn: mhaWith({ noOutputProjection: true }),
  },
  {
    exercise: "2.3",
    id: "mask-no-head-axis",
    looksLike: "multi-head attention applying a [B, Tq, Tk] or [B, 1, Tk] mask to the [B, h, Tq, Tk] scores without inserting the head axis (it broadcasts against the wrong axes)",
    fix: "a mask of rank 3 is the same for every head: reshape it to [B, 1, Tq, Tk] (tf.expandDims(mask, 1)) before using it on the per-head scores",
    fn: mhaWith({ maskNoHeadAxis: true }),
    errorLike: sameShapesMentioned,
  },
  {
    exercise: "2.3",
    id: "scale-sqrt-d",
    looksLike: "multi-head attention with the scores scaled by 1/sqrt(d) (the model width) instead of 1/sqrt(d/h)",
    fix: "each head works in d_k = d/h dimensions: scale by 1/sqrt(d/h) (scaledDotProductAttention on the split heads does that)",
    fn: mhaWith({ scaleByModelWidth: true }),
  },
  {
    exercise: "2.3",
    id: "weights-transposed",
    looksLike: "multi-head attention computing x·Wᵀ (PyTorch's nn.Linear layout) instead of x·W",
    fix: "the kit's convention is y = x·W + b with W [d_in, d_out]: tf.matMul(x, W), no transpose",
    fn: mhaWith({ transposeWeights: true }),
  },
];


// ---------------------------------------------------------------------------------------------
// 2.4 sinusoidalPositionalEncoding

function peWith(o: { halves?: boolean; exponent?: "2i" | "i" }): Pe {
  return (numPositions, d) =>
    tf.tidy(() => {
      const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
      const i = tf.range(0, d / 2); // pair index
      const exponent = o.exponent === "i" ? tf.div(i, d) : tf.div(tf.mul(i, 2), d);
      const angles = tf.div(pos, tf.pow(10000, exponent)); // [T, d/2]
      if (o.halves) return tf.concat([tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D;
      return tf.reshape(tf.stack([tf.sin(angles), tf.cos(angles)], 2), [numPositions, d]) as tf.Tensor2D;
    });
}

export const PE_MISCONCEPTIONS: readonly Misconception<Pe>[] = [
  {
    exercise: "2.4",
    id: "halves",
    looksLike: "a positional encoding with all the sines in the first half of the features and all the cosines in the second",
    fix: "interleave: column 2i is sin, column 2i+1 is cos of the same angle (stack [sin, cos] on a new last axis, then reshape to [T, d])",
    fn: peWith({ halves: true }),
  },
  {
    exercise: "2.4",
    id: "exponent-i-over-d",
    looksLike: "a positional encoding with angles p / 10000^(i/d) for pair i instead of p / 10000^(2i/d)",
    fix: "the exponent is 2i/d, where 2i is the even feature index of pair i (tf.range(0, d, 2) gives 2i directly)",
    fn: peWith({ exponent: "i" }),
  },
];

