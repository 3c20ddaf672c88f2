/**
 * @planted alternative
 * @exercise 2.4
 * @style fills the table with JavaScript loops and Math.sin / Math.cos
 * @near halves
 * @near exponent-i-over-d
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt } from "../../../lib/support/checks";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  const fn = "sinusoidalPositionalEncoding";
  requireInt(fn, "numPositions", numPositions, 1);
  requireInt(fn, "d", d, 2);
  if (d % 2 !== 0) throw new LabInputError(`${fn}: d must be even, got ${d} (shape ${fmtShape([numPositions, d])})`);
  const rows = Array.from({ length: numPositions }, (_, p) =>
    Array.from({ length: d }, (_, j) => {
      const angle = p / Math.pow(10000, (j - (j % 2)) / d);
      return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }),
  );
  return tf.tensor2d(rows, [numPositions, d], "float32");
}
