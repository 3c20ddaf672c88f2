/**
 * @planted alternative
 * @exercise 7.4
 * @style its own final layer norm with tf.moments, tf.squeeze of the [CLS] slice, a for-of loop in one tf.tidy
 * @near no-final-norm
 */
import * as tf from "@tensorflow/tfjs";
import { encoderLayer } from "../../../lib/blocks";
import { extractPatches, patchEmbed, prependClsAndPositions } from "../../../lib/vit";
import type { VitParams, VitResult } from "../../../lib/support/types";

export function vitForward(params: VitParams, images: tf.Tensor): VitResult {
  if (params.head.w.shape[0] !== params.cls.shape[0]) throw new Error(`vitForward: head.w [${params.head.w.shape}] does not match the width ${params.cls.shape[0]}`);
  return tf.tidy(() => {
    let x = prependClsAndPositions(params, patchEmbed(params.patchEmbed, extractPatches(images, params.patchSize)));
    const attention: tf.Tensor[] = [];
    for (const layer of params.layers) {
      const r = encoderLayer(layer, x);
      x = r.output;
      attention.push(r.selfWeights);
    }
    const cls = tf.squeeze(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [1]);
    const { mean, variance } = tf.moments(cls, -1, true);
    const normed = tf.add(tf.mul(tf.div(tf.sub(cls, mean), tf.sqrt(tf.add(variance, 1e-5))), params.finalNorm.gamma), params.finalNorm.beta);
    return { logits: tf.add(tf.matMul(normed, params.head.w), params.head.b), attention } as unknown as tf.TensorContainer;
  }) as unknown as VitResult;
}
