/**
 * @planted mutant
 * @exercise 3.3
 * @bug casts the mask to float32 outside tf.tidy
 * @category leaks
 * @feedback encoderLayer leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../../../lib/support/types";

const ln = (x: tf.Tensor, p: LayerNormParams) => layerNorm(x, p.gamma, p.beta);

export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  const m = mask === undefined ? undefined : tf.cast(mask, "float32");
  return tf.tidy(() => {
    const n1 = ln(x, params.norm1);
    const attn = multiHeadAttention(params.selfAttn, n1, n1, m);
    const a = tf.add(x, attn.output);
    return { output: tf.add(a, feedForward(params.ffn, ln(a, params.norm2))), selfWeights: attn.weights };
  });
}
