/**
 * @planted mutant
 * @exercise 5.1
 * @bug averages each row's real tokens, then the rows (a short name weighs as much as a long one)
 * @feedback your loss differs from the reference's
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const targets = tf.slice(ids, [0, 1], [b, t - 1]);
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(tf.slice(logits, [0, 0, 0], [b, t - 1, v])), tf.oneHot(targets, v)), -1));
    const real = tf.cast(tf.notEqual(targets, padId), "float32");
    const perRow = tf.div(tf.sum(tf.mul(nll, real), 1), tf.maximum(tf.sum(real, 1), 1)); // [B]
    return tf.mean(perRow) as tf.Scalar;
  });
}
