/**
 * @planted alternative
 * @exercise 3.3
 * @style its own inline layer norm (tf.moments) and feed-forward, its own multiHeadAttention, manual dispose instead of tf.tidy; checks x and the mask itself
 * @near no-attention-residual
 * @near no-ffn-residual
 */
import * as tf from "@tensorflow/tfjs";
import { multiHeadAttention } from "../../../lib/multihead";
import { fmtShape, LabInputError, requireBroadcastsTo, requireTensor } from "../../../lib/support/checks";
import type { EncoderLayerParams, EncoderLayerResult, LayerNormParams } from "../../../lib/support/types";

function norm(x: tf.Tensor, p: LayerNormParams, trash: tf.Tensor[]): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (p.gamma.shape[0] !== d) throw new LabInputError(`encoderLayer: a layer norm's gamma ${fmtShape(p.gamma.shape)} does not fit width ${d}`);
  const { mean, variance } = tf.moments(x, -1, true);
  const c = tf.sub(x, mean);
  const ve = tf.add(variance, 1e-5);
  const s = tf.sqrt(ve);
  const n = tf.div(c, s);
  const g = tf.mul(n, p.gamma);
  trash.push(mean, variance, c, ve, s, n, g);
  return tf.add(g, p.beta);
}

export function encoderLayer(params: EncoderLayerParams, x: tf.Tensor, mask?: tf.Tensor): EncoderLayerResult {
  requireTensor("encoderLayer", "x", x, { rank: 3 });
  const [b, t, d] = x.shape;
  if (mask) requireBroadcastsTo("encoderLayer", "mask", mask.shape, [b, t, t], "[B, T, T]");
  if (params.ffn.w1.shape[0] !== d) throw new LabInputError(`encoderLayer: ffn.w1 ${fmtShape(params.ffn.w1.shape)} does not fit x ${fmtShape(x.shape)}`);
  const trash: tf.Tensor[] = [];
  try {
    const n1 = norm(x, params.norm1, trash);
    trash.push(n1);
    const attn = multiHeadAttention(params.selfAttn, n1, n1, mask);
    trash.push(attn.output);
    const a = tf.add(x, attn.output);
    trash.push(a);
    const n2 = norm(a, params.norm2, trash);
    trash.push(n2);
    const rows = tf.reshape(n2, [b * t, d]);
    const h1 = tf.matMul(rows, params.ffn.w1);
    const hb = tf.add(h1, params.ffn.b1);
    const h = tf.relu(hb);
    const o = tf.matMul(h, params.ffn.w2);
    const f = tf.add(o, params.ffn.b2);
    trash.push(rows, h1, hb, h, o, f);
    const fr = tf.reshape(f, [b, t, d]);
    trash.push(fr);
    return { output: tf.add(a, fr), selfWeights: attn.weights };
  } finally {
    tf.dispose(trash);
  }
}
