/**
 * @planted alternative
 * @exercise 4.4
 * @style one-hot embedding lookup, the padding mask expanded to [B, T, T] once, layers by index, manual dispose of the intermediates
 * @near mask-not-passed
 * @near no-final-norm
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer, layerNorm } from "../../../lib/blocks";
import type { EncoderParams, EncoderResult } from "../../../lib/support/types";

export function encoderForward(params: EncoderParams, ids: tf.Tensor, paddingMask?: tf.Tensor): EncoderResult {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") throw new Error("encoderForward: ids must be an int32 [B, T] tensor");
  const [b, t] = ids.shape as number[];
  const [v, d] = params.tokenEmbedding.shape as number[];
  const context = params.positionEmbedding.shape[0] as number;
  if (t > context) throw new Error(`encoderForward: ${t} tokens do not fit the context of ${context} positions`);
  const values = ids.dataSync();
  for (const id of values) if (id < 0 || id >= v) throw new Error(`encoderForward: token id ${id} is not in [0, ${v})`);
  if (paddingMask !== undefined) {
    const s = paddingMask.shape;
    const fits = s.length <= 3 && s.every((n, i) => n === 1 || n === [b, t, t].slice(3 - s.length)[i]);
    if (!fits) throw new Error(`encoderForward: paddingMask [${s.join(",")}] does not broadcast to [${b},${t},${t}]`);
  }
  const flat = tf.reshape(ids, [-1]);
  const oneHot = tf.oneHot(flat, v);
  const rows = tf.matMul(oneHot, params.tokenEmbedding);
  const tokens = tf.reshape(rows, [b, t, d]);
  const positions = tf.slice(params.positionEmbedding, [0, 0], [t, d]);
  const ones = tf.ones([b, t, t]);
  const full = paddingMask === undefined ? undefined : tf.mul(ones, paddingMask);
  let x = tf.add(tokens, positions);
  tf.dispose([flat, oneHot, rows, tokens, positions, ones]);
  const weights: tf.Tensor[] = [];
  for (let i = 0; i < params.layers.length; i++) {
    const r = encoderLayer(params.layers[i], x, full);
    x.dispose();
    x = r.output;
    weights.push(r.selfWeights);
  }
  const output = layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
  x.dispose();
  if (full) full.dispose();
  return { output, weights };
}
