/**
 * @planted mutant
 * @exercise 7.2
 * @bug divides the tokens by sqrt(P), as attention scales its scores
 * @feedback multiplied by a constant factor
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  return tf.tidy(() => {
    const rows = tf.reshape(patches, [b * n, pDim]);
    return tf.reshape(tf.div(tf.add(tf.matMul(rows, params.w), params.b), Math.sqrt(pDim)), [b, n, d]);
  });
}
