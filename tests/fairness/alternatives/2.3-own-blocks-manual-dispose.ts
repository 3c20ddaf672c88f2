/**
 * @planted alternative
 * @exercise 2.3
 * @style calls its own splitHeads, mergeHeads and scaledDotProductAttention (1.2), reshapes the mask itself, and disposes every intermediate by hand
 * @near mask-no-head-axis
 * @near scale-sqrt-d
 * @near weights-transposed
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../../../lib/attention";
import { mergeHeads, splitHeads } from "../../../lib/multihead";
import { LabInputError, requireTensor } from "../../../lib/support/checks";
import type { MultiHeadParams, MultiHeadResult } from "../../../lib/support/types";

function dense2d(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | undefined, trash: tf.Tensor[]): tf.Tensor {
  const [b, t, din] = x.shape;
  const flat = tf.reshape(x, [b * t, din]);
  const prod = tf.matMul(flat, w);
  const y = tf.reshape(prod, [b, t, w.shape[1] as number]);
  trash.push(flat, prod);
  if (!bias) return y;
  trash.push(y);
  return tf.add(y, bias);
}

export function multiHeadAttention(params: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  requireTensor("multiHeadAttention", "xq", xq, { rank: 3 });
  requireTensor("multiHeadAttention", "xkv", xkv, { rank: 3 });
  const [b, tq, d] = xq.shape;
  const tk = xkv.shape[1];
  if (xkv.shape[0] !== b || xkv.shape[2] !== d) throw new LabInputError(`multiHeadAttention: xq is [${xq.shape}] but xkv is [${xkv.shape}]`);
  for (const key of ["wq", "wk", "wv", "wo"] as const) {
    const w = params[key];
    if (w.shape[0] !== d || w.shape[1] !== d) throw new LabInputError(`multiHeadAttention: params.${key} is [${w.shape}], inputs have width ${d}`);
  }
  if (d % params.numHeads !== 0) throw new LabInputError(`multiHeadAttention: d = ${d} is not divisible by numHeads = ${params.numHeads}`);
  const trash: tf.Tensor[] = [];
  try {
    const heads = (x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor) => {
      const projected = dense2d(x, w, bias, trash);
      trash.push(projected);
      const split = splitHeads(projected, params.numHeads);
      trash.push(split);
      return split;
    };
    const q = heads(xq, params.wq, params.bq);
    const k = heads(xkv, params.wk, params.bk);
    const v = heads(xkv, params.wv, params.bv);
    let m: tf.Tensor | undefined;
    if (mask !== undefined) {
      if (mask.rank === 4) m = mask;
      else {
        const shared = mask.rank === 3 ? tf.expandDims(mask, 1) : mask; // [B, 1, Tq, Tk] or [Tq, Tk]
        if (shared !== mask) trash.push(shared);
        m = shared;
      }
      const ok = m.rank <= 4 && m.shape.every((s, i) => s === 1 || s === [b, params.numHeads, tq, tk][4 - m!.rank + i]);
      if (!ok) throw new LabInputError(`multiHeadAttention: mask [${mask.shape}] does not broadcast to [${b},${params.numHeads},${tq},${tk}]`);
    }
    const { output, weights } = scaledDotProductAttention(q, k, v, m);
    const merged = mergeHeads(output);
    trash.push(output, merged);
    return { output: dense2d(merged, params.wo, params.bo, trash), weights };
  } finally {
    tf.dispose(trash);
  }
}
