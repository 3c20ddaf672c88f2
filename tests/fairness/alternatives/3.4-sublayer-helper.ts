/**
 * @planted alternative
 * @exercise 3.4
 * @style a residual helper around its own building blocks, one tf.tidy per sublayer; checks memory against y itself
 * @near cross-kv-from-decoder
 * @near memory-normalised
 * @near cross-queries-from-y
 * @near cross-queries-from-ln1-y
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import type { DecoderLayerParams, DecoderLayerResult, LayerNormParams } from "../../../lib/support/types";

function residual(x: tf.Tensor, norm: LayerNormParams, f: (h: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(x, f(layerNorm(x, norm.gamma, norm.beta))));
}

export function decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, selfMask: tf.Tensor, memoryMask?: tf.Tensor): DecoderLayerResult {
  if (!(y instanceof tf.Tensor) || !(memory instanceof tf.Tensor) || y.rank !== 3 || memory.rank !== 3) throw new Error("decoderLayer: y and memory must be [B, T, d] tensors");
  if (memory.shape[0] !== y.shape[0] || memory.shape[2] !== y.shape[2]) {
    throw new Error(`decoderLayer: memory [${memory.shape}] does not go with y [${y.shape}] (same batch size and width needed)`);
  }
  let selfWeights: tf.Tensor | undefined;
  let crossWeights: tf.Tensor | undefined;
  const a = residual(y, params.norm1, (h) => {
    const r = multiHeadAttention(params.selfAttn, h, h, selfMask);
    selfWeights = tf.keep(r.weights);
    return r.output;
  });
  const c = residual(a, params.norm2, (h) => {
    const r = multiHeadAttention(params.crossAttn, h, memory, memoryMask);
    crossWeights = tf.keep(r.weights);
    return r.output;
  });
  const output = residual(c, params.norm3, (h) => feedForward(params.ffn, h));
  tf.dispose([a, c]);
  return { output, selfWeights: selfWeights as tf.Tensor, crossWeights: crossWeights as tf.Tensor };
}
