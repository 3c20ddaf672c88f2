/**
 * @planted mutant
 * @exercise 4.3
 * @bug returns softmax probabilities
 * @misconception softmax-output
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierHeadParams } from "../../../lib/support/types";

export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const h = tf.tanh(tf.add(tf.matMul(pooled, params.pooler.w), params.pooler.b));
    return tf.softmax(tf.add(tf.matMul(h, params.output.w), params.output.b));
  });
}
