/**
 * @planted mutant
 * @exercise 7.3
 * @bug adds positions[0 … N − 1] to the patches and positions[N] to [CLS]
 * @feedback the wrong rows of positions: row 0 must be cls + positions[0] and row i must be tokens[i − 1] + positions[i]
 * @feedback your row 0 is cls + positions[4]
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  if (params.positions.shape[0] !== n + 1 || params.positions.shape[1] !== d) {
    throw new Error(`prependClsAndPositions: positions [${params.positions.shape}] must be [N + 1, d] for tokens [${tokens.shape}]`);
  }
  return tf.tidy(() => {
    const cls = tf.add(params.cls, tf.squeeze(tf.slice(params.positions, [n, 0], [1, d]), [0]));
    const patches = tf.add(tokens, tf.slice(params.positions, [0, 0], [n, d]));
    return tf.concat([tf.tile(tf.reshape(cls, [1, 1, d]), [b, 1, 1]), patches], 1);
  });
}
