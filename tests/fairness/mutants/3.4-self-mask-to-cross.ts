/**
 * @planted mutant
 * @exercise 3.4
 * @bug passes selfMask to the cross-attention as well
 * @misconception self-mask-to-cross
 * @cause selfMask
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { DecoderLayerParams, DecoderLayerResult, LayerNormParams } from "../../../lib/support/types";

const norm = (x: tf.Tensor, p: LayerNormParams) => layerNorm(x, p.gamma, p.beta);

export function decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, selfMask: tf.Tensor, memoryMask?: tf.Tensor): DecoderLayerResult {
  return tf.tidy(() => {
    const n1 = norm(y, params.norm1);
    const self = multiHeadAttention(params.selfAttn, n1, n1, selfMask);
    const a = tf.add(y, self.output);
    const cross = multiHeadAttention(params.crossAttn, norm(a, params.norm2), memory, selfMask);
    const c = tf.add(a, cross.output);
    return { output: tf.add(c, feedForward(params.ffn, norm(c, params.norm3))), selfWeights: self.weights, crossWeights: cross.weights };
  });
}
