/**
 * @planted alternative
 * @exercise 2.1
 * @style slices each head's block of features out of the last axis and stacks the heads on axis 1
 * @near no-transpose
 * @near interleaved
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt, requireTensor } from "../../../lib/support/checks";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  requireTensor("splitHeads", "x", x, { rank: 3 });
  requireInt("splitHeads", "numHeads", numHeads, 1);
  const [b, t, d] = x.shape;
  if (d % numHeads !== 0) throw new LabInputError(`splitHeads: d = ${d} (x ${fmtShape(x.shape)}) cannot be split into numHeads = ${numHeads} equal parts`);
  const dh = d / numHeads;
  return tf.tidy(() => tf.stack(Array.from({ length: numHeads }, (_, i) => tf.slice(x, [0, 0, i * dh], [b, t, dh])), 1));
}
