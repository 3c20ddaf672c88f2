/**
 * @planted mutant
 * @exercise 1.4
 * @bug returns [B, maxLen] without the middle axis
 * @misconception flat
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  return tf.tensor2d(lengths.map((len) => Array.from({ length: maxLen }, (_, j) => (j < len ? 1 : 0)))) as unknown as tf.Tensor3D;
}
