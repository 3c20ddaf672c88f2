/**
 * @planted mutant
 * @exercise 7.3
 * @bug adds positions[1 …] to the patches and nothing to [CLS]
 * @misconception cls-without-position
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  if (params.positions.shape[0] !== n + 1 || params.positions.shape[1] !== d) {
    throw new Error(`prependClsAndPositions: positions [${params.positions.shape}] must be [N + 1, d] for tokens [${tokens.shape}]`);
  }
  return tf.tidy(() => {
    const patches = tf.add(tokens, tf.slice(params.positions, [1, 0], [n, d]));
    return tf.concat([tf.tile(tf.reshape(params.cls, [1, 1, d]), [b, 1, 1]), patches], 1);
  });
}
