/**
 * @planted mutant
 * @exercise 7.2
 * @bug flattens the patches with a reshape to [P, B·N] and multiplies with the transposed flag: the rows are scrambled
 * @feedback output differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  return tf.tidy(() => {
    const cols = tf.reshape(patches, [pDim, b * n]);
    return tf.reshape(tf.add(tf.matMul(cols, params.w, true), params.b), [b, n, d]);
  });
}
