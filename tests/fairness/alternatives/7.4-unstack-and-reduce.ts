/**
 * @planted alternative
 * @exercise 7.4
 * @style runs the layers with reduce, takes [CLS] as the first of tf.unstack's slices, manual dispose of the intermediates; checks the head itself
 * @near mean-pooling
 * @near last-position
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer, layerNorm } from "../../../lib/blocks";
import { extractPatches, patchEmbed, prependClsAndPositions } from "../../../lib/vit";
import type { VitParams, VitResult } from "../../../lib/support/types";

export function vitForward(params: VitParams, images: tf.Tensor): VitResult {
  const d = params.positions.shape[1];
  if (params.head.w.shape[0] !== d) throw new Error(`vitForward: head.w [${params.head.w.shape}] needs ${d} rows, the model width`);
  const trash: tf.Tensor[] = [];
  try {
    const patches = extractPatches(images, params.patchSize);
    const tokens = patchEmbed(params.patchEmbed, patches);
    const start = prependClsAndPositions(params, tokens);
    trash.push(patches, tokens, start);
    const attention: tf.Tensor[] = [];
    const x = params.layers.reduce((h, layer) => {
      const r = encoderLayer(layer, h);
      attention.push(r.selfWeights);
      trash.push(r.output);
      return r.output;
    }, start);
    const positions = tf.unstack(x, 1); // N + 1 tensors [B, d]
    const cls = positions[0];
    trash.push(...positions.slice(1));
    const normed = layerNorm(cls, params.finalNorm.gamma, params.finalNorm.beta);
    const raw = tf.matMul(normed, params.head.w);
    trash.push(cls, normed, raw);
    return { logits: tf.add(raw, params.head.b), attention };
  } finally {
    tf.dispose(trash);
  }
}
