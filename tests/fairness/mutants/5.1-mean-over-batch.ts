/**
 * @planted mutant
 * @exercise 5.1
 * @bug sums the real tokens' losses and divides by the batch size
 * @misconception mean-over-batch
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const logProbs = tf.logSoftmax(logits.slice([0, 0, 0], [b, t - 1, v]));
    const targets = ids.slice([0, 1], [b, t - 1]);
    const nll = tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(targets, v)), -1)); // [B, T-1]
    const keep = tf.cast(tf.notEqual(targets, padId), "float32");
    return tf.div(tf.sum(tf.mul(nll, keep)), b) as tf.Scalar;
  });
}
