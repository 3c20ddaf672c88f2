/**
 * @planted mutant
 * @exercise 1.4
 * @bug marks the padding with 1 and the tokens with 0
 * @misconception inverted
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  return tf.tensor3d(lengths.map((len) => [Array.from({ length: maxLen }, (_, j) => (j >= len ? 1 : 0))]));
}
