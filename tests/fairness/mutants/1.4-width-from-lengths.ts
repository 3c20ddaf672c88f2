/**
 * @planted mutant
 * @exercise 1.4
 * @bug uses the longest length as the width instead of maxLen
 * @feedback output: shape
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  const width = Math.max(...lengths, 1);
  return tf.tensor3d(lengths.map((len) => [Array.from({ length: width }, (_, j) => (j < len ? 1 : 0))]));
}
