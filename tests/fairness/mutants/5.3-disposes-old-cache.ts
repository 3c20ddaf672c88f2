/**
 * @planted mutant
 * @exercise 5.3
 * @bug frees the cache it was given after the step, to save memory
 * @category intact
 * @feedback decodeStepWithCache disposed its input "cache.layers[0].k"
 */
import * as tf from "@tensorflow/tfjs";
import { scaledDotProductAttention } from "../../../lib/attention";
import { feedForward, layerNorm } from "../../../lib/blocks";
import { mergeHeads, splitHeads } from "../../../lib/multihead";
import type { DecodeStepResult, GptParams, KVCache, LayerKV } from "../../../lib/support/types";

/** x [n, t, d] · w [d, d'] + b. */
function project(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const [n, t, d] = x.shape as number[];
  const y = tf.reshape(tf.matMul(tf.reshape(x, [n * t, d]), w), [n, t, w.shape[1] as number]);
  return b ? tf.add(y, b) : y;
}

export function decodeStepWithCache(params: GptParams, token: readonly number[], cache: KVCache | null): DecodeStepResult {
  const { vocabSize, context, d } = params.config;
  const b = token.length;
  for (const id of token) if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`decodeStepWithCache: token ${id} is not in [0, ${vocabSize})`);
  const t = cache ? (cache.layers[0].k.shape[2] as number) : 0; // positions already cached
  if (cache && cache.layers[0].k.shape[0] !== b) throw new Error(`decodeStepWithCache: the cache holds ${cache.layers[0].k.shape[0]} sequences but ${b} tokens were given`);
  if (t >= context) throw new Error(`decodeStepWithCache: the cache already holds ${t} positions, the whole context of ${context}`);
  const out = tf.tidy(() => {
    const ids = tf.tensor1d(token as number[], "int32");
    const tok = tf.matMul(tf.oneHot(ids, vocabSize), params.tokenEmbedding); // [B, d]
    let x = tf.reshape(tf.add(tok, tf.slice(params.positionEmbedding, [t, 0], [1, d])), [b, 1, d]);
    const layers: LayerKV[] = params.layers.map((layer, i) => {
      const a = layer.selfAttn;
      const n1 = layerNorm(x, layer.norm1.gamma, layer.norm1.beta);
      const q = splitHeads(project(n1, a.wq, a.bq), a.numHeads); // [B, h, 1, dh]
      const kNew = splitHeads(project(n1, a.wk, a.bk), a.numHeads);
      const vNew = splitHeads(project(n1, a.wv, a.bv), a.numHeads);
      const past = cache ? cache.layers[i] : undefined;
      const k = past ? tf.concat([past.k, kNew], 2) : kNew;
      const v = past ? tf.concat([past.v, vNew], 2) : vNew;
      const attended = scaledDotProductAttention(q, k, v).output; // [B, h, 1, dh]
      x = tf.add(x, project(mergeHeads(attended), a.wo, a.bo));
      x = tf.add(x, feedForward(layer.ffn, layerNorm(x, layer.norm2.gamma, layer.norm2.beta)));
      return { k, v };
    });
    const h = layerNorm(x, params.finalNorm.gamma, params.finalNorm.beta);
    const logits = tf.reshape(project(h, params.head.w, params.head.b), [b, vocabSize]);
    return { logits, cache: { layers } } as unknown as tf.TensorContainer;
  }) as unknown as DecodeStepResult;
  if (cache) for (const l of cache.layers) tf.dispose([l.k, l.v]);
  return out;
}
