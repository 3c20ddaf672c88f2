/**
 * @planted alternative
 * @exercise 2.3
 * @style loops over the heads, slicing each head's columns out of wq, wk, wv and its rows out of wo, and sums the heads' projected outputs
 * @near split-no-transpose
 * @near merge-no-transpose
 * @near no-output-projection
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt } from "../../../lib/support/checks";
import type { MultiHeadParams, MultiHeadResult } from "../../../lib/support/types";

function project(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [b, t, din] = x.shape;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [b * t, din]), w), [b, t, w.shape[1] as number]);
  return bias ? tf.add(y, bias) : y;
}

export function multiHeadAttention(p: MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor): MultiHeadResult {
  const fn = "multiHeadAttention";
  for (const [name, x] of [["xq", xq], ["xkv", xkv]] as const) {
    if (!(x instanceof tf.Tensor) || x.rank !== 3) throw new LabInputError(`${fn}: ${name} must be a rank-3 tf.Tensor [B, T, d]`);
  }
  const [b, tq, d] = xq.shape as number[];
  const tk = xkv.shape[1] as number;
  if (xkv.shape[0] !== b || xkv.shape[2] !== d) throw new LabInputError(`${fn}: xq ${fmtShape(xq.shape)} and xkv ${fmtShape(xkv.shape)} differ in batch size or width`);
  const h = requireInt(fn, "numHeads", p.numHeads, 1);
  if (d % h !== 0) throw new LabInputError(`${fn}: width ${d} is not divisible by ${h} heads`);
  for (const w of [p.wq, p.wk, p.wv, p.wo]) {
    if (w.shape[0] !== d || w.shape[1] !== d) throw new LabInputError(`${fn}: a weight has shape ${fmtShape(w.shape)}, expected [${d},${d}] for inputs ${fmtShape(xq.shape)}`);
  }
  if (mask !== undefined) {
    const target = mask.rank === 4 ? [b, h, tq, tk] : [b, tq, tk];
    const ok = mask.rank <= target.length && mask.shape.every((s, i) => s === 1 || s === target[target.length - mask.rank + i]);
    if (!ok) throw new LabInputError(`${fn}: mask ${fmtShape(mask.shape)} does not broadcast to ${fmtShape(target)}`);
  }
  const dh = d / h;
  return tf.tidy(() => {
    const cols = (w: tf.Tensor, bias: tf.Tensor | undefined, i: number) => [w.slice([0, i * dh], [d, dh]), bias?.slice([i * dh], [dh])] as const;
    const keepAll = mask === undefined ? undefined : tf.broadcastTo(tf.notEqual(mask.rank === 4 ? mask : mask.rank === 3 ? tf.expandDims(mask, 1) : mask, 0), [b, h, tq, tk]);
    let output: tf.Tensor = p.bo ? tf.reshape(p.bo, [1, 1, d]) : tf.zeros([1, 1, d]);
    const heads: tf.Tensor[] = [];
    for (let i = 0; i < h; i++) {
      const q = project(xq, ...cols(p.wq, p.bq, i));
      const k = project(xkv, ...cols(p.wk, p.bk, i));
      const v = project(xkv, ...cols(p.wv, p.bv, i));
      let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)); // [B, Tq, Tk]
      let keep: tf.Tensor | undefined;
      if (keepAll) {
        keep = tf.squeeze(tf.slice(keepAll, [0, i, 0, 0], [b, 1, tq, tk]), [1]);
        scores = tf.where(keep, scores, tf.fill([b, tq, tk], -1e9));
      }
      let w = tf.softmax(scores);
      if (keep) w = tf.where(keep, w, tf.zerosLike(w));
      heads.push(w);
      output = tf.add(output, project(tf.matMul(w, v), p.wo.slice([i * dh, 0], [dh, d])));
    }
    return { output, weights: tf.stack(heads, 1) };
  });
}
