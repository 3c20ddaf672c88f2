/**
 * @planted mutant
 * @exercise 3.3
 * @bug forgets LN1: attends over x itself
 * @feedback your selfWeights already differ from the reference, so the difference starts at or before the self-attention
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../../../lib/support/types";

const ln = (x: tf.Tensor, p: LayerNormParams) => layerNorm(x, p.gamma, p.beta);

export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  return tf.tidy(() => {
    const attn = multiHeadAttention(params.selfAttn, x, x, mask);
    const a = tf.add(x, attn.output);
    return { output: tf.add(a, feedForward(params.ffn, ln(a, params.norm2))), selfWeights: attn.weights };
  });
}
