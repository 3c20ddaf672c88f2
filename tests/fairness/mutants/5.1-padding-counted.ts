/**
 * @planted mutant
 * @exercise 5.1
 * @bug the mean runs over every target, padding included
 * @misconception padding-counted
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const predictions = logits.slice([0, 0, 0], [b, t - 1, v]);
    const targets = ids.slice([0, 1], [b, t - 1]);
    const logProbs = tf.logSoftmax(predictions);
    return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, tf.oneHot(targets, v)), -1))) as tf.Scalar;
  });
}
