/**
 * @planted alternative
 * @exercise 5.3
 * @style attention written out per layer (scores, softmax, weighted values), the cache grown on axis -2, the length read from the last layer's values, tf.gather for the embeddings; intermediates disposed by hand between layers
 * @near cache-on-heads-axis
 * @near positions-restart
 * @near caches-attention-outputs
 */
import * as tf from "@tensorflow/tfjs";
import type { DecodeStepResult, GptParams, KVCache, LayerKV, LayerNormParams } from "../../../lib/support/types";

function norm(x: tf.Tensor, p: LayerNormParams): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), p.gamma), p.beta);
  });
}

/** [B, d] → [B, h, 1, dh] */
function toHeads(x: tf.Tensor, h: number): tf.Tensor {
  const [b, d] = x.shape as number[];
  return tf.reshape(x, [b, h, 1, d / h]);
}

export function decodeStepWithCache(params: GptParams, token: readonly number[], cache: KVCache | null): DecodeStepResult {
  const { vocabSize, context, d } = params.config;
  const bad = token.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
  if (bad !== undefined) throw new Error(`decodeStepWithCache: ${bad} is not a token id (vocabulary of ${vocabSize})`);
  const last = cache ? cache.layers[cache.layers.length - 1].v : undefined;
  const t = last ? (last.shape[last.rank - 2] as number) : 0;
  if (last && last.shape[0] !== token.length) throw new Error(`decodeStepWithCache: ${token.length} tokens for a cache of ${last.shape[0]} sequences`);
  if (t + 1 > context) throw new Error(`decodeStepWithCache: position ${t} is past the context (${context} positions)`);
  const ids = tf.tensor1d(token as number[], "int32");
  const emb = tf.gather(params.tokenEmbedding, ids);
  const pos = tf.gather(params.positionEmbedding, [t]);
  let x = tf.add(emb, pos); // [B, d]
  tf.dispose([ids, emb, pos]);
  const layers: LayerKV[] = [];
  params.layers.forEach((layer, i) => {
    const a = layer.selfAttn;
    const h = a.numHeads;
    const next = tf.tidy(() => {
      const n1 = norm(x, layer.norm1);
      const lin = (w: tf.Tensor, b?: tf.Tensor) => (b ? tf.add(tf.matMul(n1, w), b) : tf.matMul(n1, w));
      const q = toHeads(lin(a.wq, a.bq), h);
      const kStep = toHeads(lin(a.wk, a.bk), h);
      const vStep = toHeads(lin(a.wv, a.bv), h);
      const past = cache?.layers[i];
      const keys = past ? tf.concat([past.k, kStep], -2) : kStep; // [B, h, t+1, dh]
      const values = past ? tf.concat([past.v, vStep], -2) : vStep;
      const scores = tf.div(tf.matMul(q, keys, false, true), Math.sqrt(d / h)); // [B, h, 1, t+1]
      const mixed = tf.matMul(tf.softmax(scores), values); // [B, h, 1, dh]
      const heads = tf.reshape(mixed, [token.length, d]);
      const attnOut = a.bo ? tf.add(tf.matMul(heads, a.wo), a.bo) : tf.matMul(heads, a.wo);
      const y = tf.add(x, attnOut);
      const n2 = norm(y, layer.norm2);
      const hidden = tf.relu(tf.add(tf.matMul(n2, layer.ffn.w1), layer.ffn.b1));
      return { x: tf.add(y, tf.add(tf.matMul(hidden, layer.ffn.w2), layer.ffn.b2)), k: keys === kStep ? kStep : keys, v: values };
    });
    x.dispose();
    x = next.x;
    layers.push({ k: next.k, v: next.v });
  });
  const logits = tf.tidy(() => tf.add(tf.matMul(norm(x, params.finalNorm), params.head.w), params.head.b));
  x.dispose();
  return { logits, cache: { layers } };
}
