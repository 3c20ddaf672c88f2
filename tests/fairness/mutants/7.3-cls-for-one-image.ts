/**
 * @planted mutant
 * @exercise 7.3
 * @bug concatenates a [1, 1, d] [CLS] without repeating it over the batch
 * @feedback prependClsAndPositions threw Error: Error in concat3D
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  if (params.positions.shape[0] !== n + 1 || params.positions.shape[1] !== d) {
    throw new Error(`prependClsAndPositions: positions [${params.positions.shape}] must be [N + 1, d] for tokens [${tokens.shape}]`);
  }
  return tf.tidy(() => tf.add(tf.concat([tf.reshape(params.cls, [1, 1, d]), tokens], 1), params.positions));
}
