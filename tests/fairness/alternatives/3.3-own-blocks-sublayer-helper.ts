/**
 * @planted alternative
 * @exercise 3.3
 * @style a small residual helper x + f(LN(x)) around its own layerNorm, multiHeadAttention and feedForward; relies on them to reject bad input
 * @near post-norm
 * @near normed-residual
 * @near no-residual
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../../../lib/support/types";

function preNorm(x: tf.Tensor, norm: LayerNormParams, sublayer: (h: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.add(x, sublayer(layerNorm(x, norm.gamma, norm.beta)));
}

export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  if (!(x instanceof tf.Tensor) || x.rank !== 3) throw new Error(`encoderLayer: x must be [B, T, d], got ${x instanceof tf.Tensor ? `[${x.shape}]` : typeof x}`);
  return tf.tidy(() => {
    let selfWeights: tf.Tensor | undefined;
    const a = preNorm(x, params.norm1, (h) => {
      const r = multiHeadAttention(params.selfAttn, h, h, mask);
      selfWeights = r.weights;
      return r.output;
    });
    const output = preNorm(a, params.norm2, (h) => feedForward(params.ffn, h));
    return { output, selfWeights: selfWeights as tf.Tensor };
  });
}
