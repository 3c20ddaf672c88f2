/**
 * @planted alternative
 * @exercise 5.4
 * @style one sequence at a time (ids as numbers, embedding rows gathered), the mask from tf.linalg.bandPart, the final norm from tf.moments, rows concatenated; intermediates disposed by hand
 * @near no-final-norm
 * @near no-positions
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer } from "../../../lib/blocks";
import type { GptParams } from "../../../lib/support/types";

export function gptForward(params: GptParams, ids: tf.Tensor): tf.Tensor {
  const { vocabSize, context } = params.config;
  if (ids.rank !== 2) throw new Error(`gptForward: ids should be [B, T], not [${ids.shape}]`);
  const [b, t] = ids.shape as number[];
  if (t > context) throw new Error(`gptForward: T = ${t} in ids [${ids.shape}] exceeds the model's context ${context}`);
  const rows = ids.arraySync() as number[][];
  rows.flat().forEach((id) => {
    if (!(id >= 0 && id < vocabSize)) throw new Error(`gptForward: token ${id} does not exist (V = ${vocabSize})`);
  });
  const ones = tf.ones([t, t]);
  const mask = tf.linalg.bandPart(ones, -1, 0);
  ones.dispose();
  const positions = Array.from({ length: t }, (_, i) => i);
  const outs: tf.Tensor[] = [];
  for (let r = 0; r < b; r++) {
    const tok = tf.gather(params.tokenEmbedding, rows[r]);
    const pos = tf.gather(params.positionEmbedding, positions);
    const sum = tf.add(tok, pos);
    let x = tf.expandDims(sum, 0); // [1, T, d]
    tf.dispose([tok, pos, sum]);
    for (const layer of params.layers) {
      const y = encoderLayer(layer, x, mask);
      x.dispose();
      y.selfWeights.dispose();
      x = y.output;
    }
    const logits = tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const n = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), params.finalNorm.gamma), params.finalNorm.beta);
      return tf.add(tf.matMul(tf.squeeze(n, [0]), params.head.w), params.head.b); // [T, V]
    });
    x.dispose();
    outs.push(logits);
  }
  mask.dispose();
  const out = tf.stack(outs);
  tf.dispose(outs);
  return out;
}
