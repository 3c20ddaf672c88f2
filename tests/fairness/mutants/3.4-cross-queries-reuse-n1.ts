/**
 * @planted mutant
 * @exercise 3.4
 * @bug reuses LN1(y) as the cross-attention queries
 * @misconception cross-queries-from-ln1-y
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
    const cross = multiHeadAttention(params.crossAttn, n1, memory, memoryMask);
    const c = tf.add(a, cross.output);
    return { output: tf.add(c, feedForward(params.ffn, norm(c, params.norm3))), selfWeights: self.weights, crossWeights: cross.weights };
  });
}
