/**
 * @planted alternative
 * @exercise 1.4
 * @style builds nested JavaScript arrays and calls tf.tensor3d; sorts a copy of the lengths to find the longest
 * @near flat
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`paddingMask: maxLen must be a positive integer, got ${maxLen}`);
  for (const len of lengths) {
    if (!Number.isInteger(len) || len < 0 || len > maxLen) throw new Error(`paddingMask: every length must be between 0 and ${maxLen}, got ${len}`);
  }
  const longest = [...lengths].sort((a, b) => b - a)[0];
  if (longest > maxLen) throw new Error(`paddingMask: ${longest} is longer than maxLen ${maxLen}`);
  return tf.tensor3d(lengths.map((len) => [Array.from({ length: maxLen }, (_, j) => (j < len ? 1 : 0))]));
}
