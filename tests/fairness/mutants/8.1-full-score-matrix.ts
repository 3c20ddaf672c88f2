/**
 * @planted mutant
 * @exercise 8.1
 * @bug ignores the blocks: computes softmax(q·kᵀ/√d)·v on the whole [Tq, Tk] score matrix
 * @feedback held as much tensor memory at once as the whole [Tq, Tk] score matrix
 */
import * as tf from "@tensorflow/tfjs";
import type { TiledAttentionOptions } from "../../../lib/support/types";

export function tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: TiledAttentionOptions): tf.Tensor {
  return tf.tidy(() => {
    let s = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (options.causal) {
      const n = q.shape[q.rank - 2];
      s = tf.where(tf.greater(tf.range(0, n).reshape([1, n]), tf.range(0, n).reshape([n, 1])), tf.fill(s.shape, -1e9), s);
    }
    return tf.matMul(tf.softmax(s), v);
  });
}
