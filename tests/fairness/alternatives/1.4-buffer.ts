/**
 * @planted alternative
 * @exercise 1.4
 * @style fills a tf.buffer element by element
 * @near inverted
 * @near off-by-one
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireInt } from "../../../lib/support/checks";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  requireInt("paddingMask", "maxLen", maxLen, 1);
  if (!Array.isArray(lengths) || lengths.length === 0) throw new LabInputError("paddingMask: lengths must be a non-empty array");
  lengths.forEach((len, b) => requireInt("paddingMask", `lengths[${b}]`, len, 0, maxLen));
  const buf = tf.buffer([lengths.length, 1, maxLen], "float32");
  lengths.forEach((len, b) => {
    for (let j = 0; j < len; j++) buf.set(1, b, 0, j);
  });
  return buf.toTensor() as tf.Tensor3D;
}
