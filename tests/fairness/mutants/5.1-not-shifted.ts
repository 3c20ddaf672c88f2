/**
 * @planted mutant
 * @exercise 5.1
 * @bug scores every position against its own token (no shift)
 * @misconception not-shifted
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const v = logits.shape[2] as number;
    const logProbs = tf.logSoftmax(logits, -1);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(ids, v)), -1); // [B, T]
    const real = tf.cast(tf.notEqual(ids, padId), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(picked, real))), tf.sum(real)) as tf.Scalar;
  });
}
