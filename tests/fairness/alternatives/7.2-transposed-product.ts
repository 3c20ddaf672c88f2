/**
 * @planted alternative
 * @exercise 7.2
 * @style computes (wᵀ·patchesᵀ)ᵀ with matMul's transpose flags
 * @near transposed-weights
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  return tf.tidy(() => {
    const rows = tf.reshape(patches, [b * n, pDim]);
    const columns = tf.matMul(params.w, rows, true, true); // [d, B·N]
    return tf.reshape(tf.add(tf.transpose(columns), params.b), [b, n, d]);
  });
}
