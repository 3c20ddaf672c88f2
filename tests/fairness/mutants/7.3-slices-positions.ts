/**
 * @planted mutant
 * @exercise 7.3
 * @bug takes the first N + 1 rows of whatever position table it gets, without a check
 * @category errors
 * @feedback prependClsAndPositions returned instead of throwing on bad input
 */
import * as tf from "@tensorflow/tfjs";
import type { ClsPositionParams } from "../../../lib/support/types";

export function prependClsAndPositions(params: ClsPositionParams, tokens: tf.Tensor): tf.Tensor {
  const [b, n, d] = tokens.shape;
  return tf.tidy(() => tf.add(tf.concat([tf.tile(tf.reshape(params.cls, [1, 1, d]), [b, 1, 1]), tokens], 1), tf.slice(params.positions, [0, 0], [n + 1, d])));
}
