/**
 * @planted mutant
 * @exercise 5.1
 * @bug log-softmax over axis 1 (the positions)
 * @misconception softmax-over-positions
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const logProbs = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [b, t - 1, v]), 1);
    const targets = tf.slice(ids, [0, 1], [b, t - 1]);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(targets, v)), 2);
    const mask = tf.cast(tf.notEqual(targets, padId), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.sum(mask)) as tf.Scalar;
  });
}
