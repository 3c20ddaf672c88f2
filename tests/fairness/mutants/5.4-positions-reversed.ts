/**
 * @planted mutant
 * @exercise 5.4
 * @bug adds the position embeddings in reverse order (rows T-1 … 0)
 * @misconception positions-reversed
 * @cause position embedding
 */
import * as tf from "@tensorflow/tfjs";
import { causalMask } from "../../../lib/attention";
import { encoderLayer, layerNorm } from "../../../lib/blocks";
import type { GptParams } from "../../../lib/support/types";

export function gptForward(params: GptParams, ids: tf.Tensor): tf.Tensor {
  const { vocabSize, context, d } = params.config;
  if (ids.rank !== 2 || ids.dtype !== "int32") throw new Error(`gptForward: ids must be int32 [B, T], got ${ids.dtype} [${ids.shape}]`);
  const [b, t] = ids.shape as number[];
  if (t > context) throw new Error(`gptForward: ids [${ids.shape}] are longer than the context of ${context} positions`);
  const values = ids.dataSync();
  for (const id of values) if (id < 0 || id >= vocabSize) throw new Error(`gptForward: id ${id} is outside the vocabulary [0, ${vocabSize})`);
  return tf.tidy(() => {
    const tokens = tf.reshape(tf.gather(params.tokenEmbedding, tf.reshape(ids, [-1])), [b, t, d]);
    let x = tf.add(tokens, tf.reverse(tf.slice(params.positionEmbedding, [0, 0], [t, d]), 0));
    const mask = causalMask(t);
    for (const layer of params.layers) x = encoderLayer(layer, x, mask).output;
    const h = layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
    const flat = tf.reshape(h, [b * t, d]);
    return tf.reshape(tf.add(tf.matMul(flat, params.head.w), params.head.b), [b, t, vocabSize]);
  });
}
