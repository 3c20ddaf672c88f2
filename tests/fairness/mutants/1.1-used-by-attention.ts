/**
 * @planted mutant
 * @exercise 1.1
 * @bug a softmax without the max shift, used by its own scaledDotProductAttention
 * @misconception naive
 * @also 1.2 fix 1.1 first
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionResult } from "../../../lib/support/types";

export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(x);
    return tf.div(e, tf.sum(e, axis, true));
  });
}

export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  if (!(q instanceof tf.Tensor) || !(k instanceof tf.Tensor) || !(v instanceof tf.Tensor)) throw new Error("scaledDotProductAttention: q, k and v must be tensors");
  if (q.shape[q.rank - 1] !== k.shape[k.rank - 1]) throw new Error(`scaledDotProductAttention: q [${q.shape}] and k [${k.shape}] differ in d_k`);
  if (v.shape[v.rank - 2] !== k.shape[k.rank - 2]) throw new Error(`scaledDotProductAttention: v [${v.shape}] and k [${k.shape}] differ in Tk`);
  const scoreShape = [...q.shape.slice(0, -1), k.shape[k.rank - 2]];
  if (mask && (mask.rank > scoreShape.length || mask.shape.some((s, i) => s !== 1 && s !== scoreShape[scoreShape.length - mask.rank + i]))) {
    throw new Error(`scaledDotProductAttention: mask [${mask.shape}] does not broadcast to [${scoreShape}]`);
  }
  return tf.tidy(() => {
    let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (!mask) {
      const weights = softmax(scores);
      return { output: tf.matMul(weights, v), weights };
    }
    const allowed = tf.cast(tf.notEqual(mask, 0), "float32");
    scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
    const weights = tf.mul(softmax(scores), allowed);
    return { output: tf.matMul(weights, v), weights };
  });
}
