/**
 * @planted mutant
 * @exercise 7.2
 * @bug puts a ReLU after the projection
 * @misconception relu
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  return tf.tidy(() => tf.reshape(tf.relu(tf.add(tf.matMul(tf.reshape(patches, [b * n, pDim]), params.w), params.b)), [b, n, d]));
}
