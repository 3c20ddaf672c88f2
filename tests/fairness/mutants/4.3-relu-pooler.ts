/**
 * @planted mutant
 * @exercise 4.3
 * @bug ReLU instead of tanh in the pooler
 * @feedback differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierHeadParams } from "../../../lib/support/types";

export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const h = tf.relu(tf.add(tf.matMul(pooled, params.pooler.w), params.pooler.b));
    return tf.add(tf.matMul(h, params.output.w), params.output.b);
  });
}
