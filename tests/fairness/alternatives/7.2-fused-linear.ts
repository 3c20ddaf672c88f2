/**
 * @planted alternative
 * @exercise 7.2
 * @style tf.fused.matMul with the bias and activation "linear", on a 2-D view; manual dispose
 * @near relu
 */
import * as tf from "@tensorflow/tfjs";
import type { PatchEmbedParams } from "../../../lib/support/types";

export function patchEmbed(params: PatchEmbedParams, patches: tf.Tensor): tf.Tensor {
  const [b, n, pDim] = patches.shape;
  if (params.w.shape[0] !== pDim) throw new Error(`patchEmbed: w [${params.w.shape}] does not fit patches [${patches.shape}]`);
  const d = params.w.shape[1] as number;
  const rows = tf.reshape(patches, [b * n, pDim]);
  const y = tf.fused.matMul({ a: rows, b: params.w, bias: params.b, activation: "linear" });
  const out = tf.reshape(y, [b, n, d]);
  rows.dispose();
  y.dispose();
  return out;
}
