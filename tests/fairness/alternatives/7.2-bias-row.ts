/**
 * @planted alternative
 * @exercise 7.2
 * @style folds the bias into the matrix: a column of ones on the patches, b as an extra row of w, one product
 * @near no-bias
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  return tf.tidy(() => {
    const rows = tf.reshape(patches, [b * n, pDim]);
    const withOne = tf.concat([rows, tf.ones([b * n, 1])], 1); // [B·N, P + 1]
    const wb = tf.concat([params.w, tf.reshape(params.b, [1, d])], 0); // [P + 1, d]
    return tf.reshape(tf.matMul(withOne, wb), [b, n, d]);
  });
}
