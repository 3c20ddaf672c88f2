/**
 * @planted mutant
 * @exercise 3.3
 * @bug the original post-norm order
 * @misconception post-norm
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../../../lib/support/types";

const ln = (x: tf.Tensor, p: LayerNormParams) => layerNorm(x, p.gamma, p.beta);

export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  return tf.tidy(() => {
    const attn = multiHeadAttention(params.selfAttn, x, x, mask);
    const a = ln(tf.add(x, attn.output), params.norm1);
    return { output: ln(tf.add(a, feedForward(params.ffn, a)), params.norm2), selfWeights: attn.weights };
  });
}
