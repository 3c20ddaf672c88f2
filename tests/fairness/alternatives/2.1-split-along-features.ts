/**
 * @planted alternative
 * @exercise 2.1
 * @style tf.split on the last axis, then tf.stack; disposes the pieces by hand
 */
import * as tf from "@tensorflow/tfjs";

export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  if (!(x instanceof tf.Tensor) || x.rank !== 3) throw new Error("splitHeads: x must be a [B, T, d] tensor");
  const d = x.shape[2] as number;
  if (!Number.isInteger(numHeads) || numHeads < 1 || d % numHeads !== 0) {
    throw new Error(`splitHeads: the width ${d} is not a multiple of the ${numHeads} heads asked for`);
  }
  const parts = tf.split(x, numHeads, 2);
  const out = tf.stack(parts, 1);
  tf.dispose(parts);
  return out;
}
