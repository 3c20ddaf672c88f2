/**
 * @planted mutant
 * @exercise 7.4
 * @bug leaves out the final layer norm
 * @misconception no-final-norm
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer, layerNorm } from "../../../lib/blocks";
import { extractPatches, patchEmbed, prependClsAndPositions } from "../../../lib/vit";
import type { VitParams, VitResult } from "../../../lib/support/types";

export function vitForward(params: VitParams, images: tf.Tensor): VitResult {
  if (params.head.w.shape[0] !== params.cls.shape[0]) throw new Error(`vitForward: head.w [${params.head.w.shape}] does not fit the model width ${params.cls.shape[0]}`);
  return tf.tidy(() => {
    let x = prependClsAndPositions(params, patchEmbed(params.patchEmbed, extractPatches(images, params.patchSize)));
    const attention: tf.Tensor[] = [];
    for (const layer of params.layers) {
      const r = encoderLayer(layer, x);
      x = r.output;
      attention.push(r.selfWeights);
    }
    const [b, t, d] = x.shape;
    const pooled = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]);
    const normed = pooled;
    return { logits: tf.add(tf.matMul(normed, params.head.w), params.head.b), attention } as unknown as tf.TensorContainer;
  }) as unknown as VitResult;
}
