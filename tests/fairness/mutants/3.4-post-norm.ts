/**
 * @planted mutant
 * @exercise 3.4
 * @bug the original post-norm order
 * @misconception post-norm
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { DecoderLayerParams, DecoderLayerResult, LayerNormParams } from "../../../lib/support/types";

const norm = (x: tf.Tensor, p: LayerNormParams) => layerNorm(x, p.gamma, p.beta);

export function decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, selfMask: tf.Tensor, memoryMask?: tf.Tensor): DecoderLayerResult {
  return tf.tidy(() => {
    const self = multiHeadAttention(params.selfAttn, y, y, selfMask);
    const a = norm(tf.add(y, self.output), params.norm1);
    const cross = multiHeadAttention(params.crossAttn, a, memory, memoryMask);
    const c = norm(tf.add(a, cross.output), params.norm2);
    return { output: norm(tf.add(c, feedForward(params.ffn, c)), params.norm3), selfWeights: self.weights, crossWeights: cross.weights };
  });
}
