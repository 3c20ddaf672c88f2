/**
 * @planted mutant
 * @exercise 4.4
 * @bug slices the position table outside tf.tidy
 * @category leaks
 * @feedback encoderForward leaves tensors behind
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer, layerNorm } from "../../../lib/blocks";
import { embed } from "../../../lib/support/train";
import type { EncoderParams, EncoderResult } from "../../../lib/support/types";

export function encoderForward(params: EncoderParams, ids: tf.Tensor, paddingMask?: tf.Tensor): EncoderResult {
  const t = ids.shape[1] as number;
  const d = params.tokenEmbedding.shape[1] as number;
  const rows = tf.slice(params.positionEmbedding, [0, 0], [t, d]);
  return tf.tidy(() => {
    let x = tf.add(embed(params.tokenEmbedding, ids), rows);
    const weights: tf.Tensor[] = [];
    for (const layer of params.layers) {
      const r = encoderLayer(layer, x, paddingMask);
      x = r.output;
      weights.push(r.selfWeights);
    }
    return { output: layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta), weights } as unknown as tf.TensorContainer;
  }) as unknown as EncoderResult;
}
