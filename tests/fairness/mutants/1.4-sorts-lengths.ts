/**
 * @planted mutant
 * @exercise 1.4
 * @bug sorts the caller's lengths array in place to check the longest
 * @category intact
 * @feedback paddingMask changed its input array "lengths"
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  const sorted = (lengths as number[]).sort((a, b) => b - a);
  if (sorted[0] > maxLen) throw new Error(`paddingMask: length ${sorted[0]} is longer than maxLen ${maxLen}`);
  return tf.tensor3d(lengths.map((len) => [Array.from({ length: maxLen }, (_, j) => (j < len ? 1 : 0))]));
}
