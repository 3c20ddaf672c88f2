/**
 * @planted alternative
 * @exercise 7.3
 * @style adds positions[0] to the [CLS] row and positions[1 …] to the patches separately, tf.tile for the batch
 * @near cls-without-position
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  if (params.positions.shape[0] !== n + 1 || params.positions.shape[1] !== d) {
    throw new Error(`prependClsAndPositions: positions [${params.positions.shape}] must be [N + 1, d] for tokens [${tokens.shape}]`);
  }
  return tf.tidy(() => {
    const clsRow = tf.add(params.cls, tf.squeeze(tf.slice(params.positions, [0, 0], [1, d]), [0])); // [d]
    const clsRows = tf.tile(tf.reshape(clsRow, [1, 1, d]), [b, 1, 1]);
    const patchRows = tf.add(tokens, tf.slice(params.positions, [1, 0], [n, d]));
    return tf.concat([clsRows, patchRows], 1);
  });
}
