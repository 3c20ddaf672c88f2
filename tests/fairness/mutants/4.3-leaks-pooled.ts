/**
 * @planted mutant
 * @exercise 4.3
 * @bug computes the pooler layer outside tf.tidy
 * @category leaks
 * @feedback classifierHead leaves tensors behind
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierHeadParams } from "../../../lib/support/types";

export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  const h = tf.tanh(tf.add(tf.matMul(pooled, params.pooler.w), params.pooler.b));
  return tf.tidy(() => {
    return tf.add(tf.matMul(h, params.output.w), params.output.b);
  });
}
