/**
 * @planted alternative
 * @exercise 3.4
 * @style one tf.tidy, its own building blocks, its own checks of shapes and masks with its own wording
 * @near self-mask-ignored
 * @near post-norm
 * @near no-residual
 * @near self-mask-to-cross
 */
import * as tf from "@tensorflow/tfjs";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { multiHeadAttention } from "../../../lib/multihead";
import { fmtShape, LabInputError, requireBroadcastsTo, requireTensor } from "../../../lib/support/checks";
import type { DecoderLayerParams, DecoderLayerResult } from "../../../lib/support/types";

export function decoderLayer(params: DecoderLayerParams, y: tf.Tensor, memory: tf.Tensor, selfMask: tf.Tensor, memoryMask?: tf.Tensor): DecoderLayerResult {
  requireTensor("decoderLayer", "y", y, { rank: 3 });
  requireTensor("decoderLayer", "memory", memory, { rank: 3 });
  const [b, ty, d] = y.shape;
  const [bm, tx, dm] = memory.shape;
  if (b !== bm || d !== dm) throw new LabInputError(`decoderLayer: y ${fmtShape(y.shape)} and memory ${fmtShape(memory.shape)} need the same batch size and width`);
  if (params.norm1.gamma.shape[0] !== d || params.ffn.w1.shape[0] !== d) {
    throw new LabInputError(`decoderLayer: the parameters are for width ${params.ffn.w1.shape[0]}, y ${fmtShape(y.shape)} has width ${d}`);
  }
  requireBroadcastsTo("decoderLayer", "selfMask", selfMask.shape, [b, ty, ty], "[B, Ty, Ty]");
  if (memoryMask) requireBroadcastsTo("decoderLayer", "memoryMask", memoryMask.shape, [b, ty, tx], "[B, Ty, Tx]");
  return tf.tidy(() => {
    const ln = (x: tf.Tensor, p: { gamma: tf.Tensor; beta: tf.Tensor }) => layerNorm(x, p.gamma, p.beta);
    const n1 = ln(y, params.norm1);
    const self = multiHeadAttention(params.selfAttn, n1, n1, selfMask);
    const a = tf.add(y, self.output);
    const cross = multiHeadAttention(params.crossAttn, ln(a, params.norm2), memory, memoryMask);
    const c = tf.add(a, cross.output);
    return { output: tf.add(c, feedForward(params.ffn, ln(c, params.norm3))), selfWeights: self.weights, crossWeights: cross.weights };
  });
}
