/**
 * @planted mutant
 * @exercise 4.4
 * @bug adds no position embedding
 * @feedback the token embeddings or the position rows added to them
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer, layerNorm } from "../../../lib/blocks";
import { embed } from "../../../lib/support/train";
import type { EncoderParams, EncoderResult } from "../../../lib/support/types";

export function encoderForward(params: EncoderParams, ids: tf.Tensor, paddingMask?: tf.Tensor): EncoderResult {
  const t = ids.shape[1] as number;
  const d = params.tokenEmbedding.shape[1] as number;
  return tf.tidy(() => {
    let x = embed(params.tokenEmbedding, ids);
    const weights: tf.Tensor[] = [];
    for (const layer of params.layers) {
      const r = encoderLayer(layer, x, paddingMask);
      x = r.output;
      weights.push(r.selfWeights);
    }
    return { output: layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta), weights } as unknown as tf.TensorContainer;
  }) as unknown as EncoderResult;
}
