/**
 * @planted mutant
 * @exercise 4.3
 * @bug multiplies by the transpose of pooler.w (a square matrix, so the shapes still fit)
 * @feedback differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierHeadParams } from "../../../lib/support/types";

export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const h = tf.tanh(tf.add(tf.matMul(pooled, params.pooler.w, false, true), params.pooler.b));
    return tf.add(tf.matMul(h, params.output.w), params.output.b);
  });
}
