/**
 * @planted mutant
 * @exercise 7.2
 * @bug reshapes and multiplies outside tf.tidy
 * @category leaks
 * @feedback patchEmbed leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  const rows = tf.reshape(patches, [b * n, pDim]);
  const y = tf.add(tf.matMul(rows, params.w), params.b);
  return tf.reshape(y, [b, n, d]);
}
