/**
 * @planted mutant
 * @exercise 1.4
 * @bug puts the size-1 axis last: [B, maxLen, 1]
 * @feedback output: shape
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  return tf.tensor3d(lengths.map((len) => Array.from({ length: maxLen }, (_, j) => [j < len ? 1 : 0])));
}
