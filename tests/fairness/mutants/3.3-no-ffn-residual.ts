/**
 * @planted mutant
 * @exercise 3.3
 * @bug forgets a + around the feed-forward network
 * @misconception no-ffn-residual
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../../../lib/support/types";

const ln = (x: tf.Tensor, p: LayerNormParams) => layerNorm(x, p.gamma, p.beta);

export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  return tf.tidy(() => {
    const n1 = ln(x, params.norm1);
    const attn = multiHeadAttention(params.selfAttn, n1, n1, mask);
    const a = tf.add(x, attn.output);
    return { output: feedForward(params.ffn, ln(a, params.norm2)), selfWeights: attn.weights };
  });
}
