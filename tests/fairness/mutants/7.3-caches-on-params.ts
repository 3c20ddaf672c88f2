/**
 * @planted mutant
 * @exercise 7.3
 * @bug stores the reshaped [CLS] on the params object to reuse it
 * @category intact
 * @feedback prependClsAndPositions added "params.clsRow" to an object it was given
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  if (params.positions.shape[0] !== n + 1 || params.positions.shape[1] !== d) {
    throw new Error(`prependClsAndPositions: positions [${params.positions.shape}] must be [N + 1, d] for tokens [${tokens.shape}]`);
  }
  const p = params as ClsPositionParams & { clsRow?: tf.Tensor };
  if (!p.clsRow || p.clsRow.isDisposed) p.clsRow = tf.keep(tf.reshape(params.cls, [1, 1, d]));
  const row = p.clsRow;
  return tf.tidy(() => tf.add(tf.concat([tf.tile(row, [b, 1, 1]), tokens], 1), params.positions));
}
