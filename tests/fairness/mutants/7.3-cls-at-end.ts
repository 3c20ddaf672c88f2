/**
 * @planted mutant
 * @exercise 7.3
 * @bug appends [CLS] after the patches
 * @misconception cls-at-end
 * @also 7.4 fix 7.3 first
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  if (params.positions.shape[0] !== n + 1 || params.positions.shape[1] !== d) {
    throw new Error(`prependClsAndPositions: positions [${params.positions.shape}] must be [N + 1, d] for tokens [${tokens.shape}]`);
  }
  return tf.tidy(() => tf.add(tf.concat([tokens, tf.tile(tf.reshape(params.cls, [1, 1, d]), [b, 1, 1])], 1), params.positions));
}
