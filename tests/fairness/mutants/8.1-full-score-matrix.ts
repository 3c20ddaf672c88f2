/**
 * @planted mutant
 * @exercise 8.1
 * @bug ignores the blocks: computes softmax(q·kᵀ/√d)·v on the whole [Tq, Tk] score matrix
 * @feedback held as much tensor memory at once as the whole [Tq, Tk] score matrix
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireAttentionInputs, requireInt, requireOptions } from "../../../lib/support/checks";
import type { TiledAttentionOptions } from "../../../lib/support/types";

export function tiledAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: TiledAttentionOptions): tf.Tensor {
  // The reference's argument checks (the planted mistake is elsewhere; without them blockQ 0 loops forever).
  requireAttentionInputs("tiledAttention", q, k, v);
  requireOptions("tiledAttention", "options", options);
  requireInt("tiledAttention", "options.blockQ", options.blockQ, 1);
  requireInt("tiledAttention", "options.blockK", options.blockK, 1);
  if (options.causal === true && q.shape[q.rank - 2] !== k.shape[k.rank - 2]) {
    throw new LabInputError(`tiledAttention: options.causal needs as many queries as keys (self-attention), got q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)}`);
  }
  return tf.tidy(() => {
    let s = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1]));
    if (options.causal) {
      const n = q.shape[q.rank - 2];
      s = tf.where(tf.greater(tf.range(0, n).reshape([1, n]), tf.range(0, n).reshape([n, 1])), tf.fill(s.shape, -1e9), s);
    }
    return tf.matMul(tf.softmax(s), v);
  });
}
