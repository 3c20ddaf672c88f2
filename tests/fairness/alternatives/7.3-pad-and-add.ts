/**
 * @planted alternative
 * @exercise 7.3
 * @style pads the tokens with an empty row in front and adds a padded [CLS] row and the positions (no concat); checks with lib/support/checks
 * @near cls-at-end
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  requireTensor("prependClsAndPositions", "tokens", tokens, { rank: 3 });
  const [b, n, d] = tokens.shape;
  const rows = params.positions.shape[0];
  if (rows !== n + 1) throw new LabInputError(`prependClsAndPositions: positions has ${rows} rows (shape ${params.positions.shape.join(",")}), tokens ${tokens.shape.join(",")} need ${n + 1}`);
  return tf.tidy(() => {
    const shifted = tf.pad(tokens, [[0, 0], [1, 0], [0, 0]]); // row 0 empty
    const clsOnly = tf.pad(tf.reshape(params.cls, [1, 1, d]), [[0, 0], [0, n], [0, 0]]); // [1, N + 1, d]
    return tf.add(tf.add(shifted, clsOnly), tf.expandDims(params.positions, 0));
  });
}
