/**
 * @planted mutant
 * @exercise 7.2
 * @bug remembers the last patches and returns the same tokens
 * @category fresh
 * @feedback returned the same tensor object on two calls with the same arguments
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

let last: { patches: tf.Tensor; w: tf.Tensor; out: tf.Tensor } | undefined;

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  if (last && last.patches === patches && last.w === params.w && !last.out.isDisposed) return last.out;
  const out = tf.tidy(() => tf.reshape(tf.add(tf.matMul(tf.reshape(patches, [b * n, pDim]), params.w), params.b), [b, n, d]));
  last = { patches, w: params.w, out };
  return out;
}
