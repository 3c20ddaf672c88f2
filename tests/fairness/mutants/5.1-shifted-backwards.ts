/**
 * @planted mutant
 * @exercise 5.1
 * @bug shifts the wrong way: logits[t + 1] scored against ids[t] (predicting the previous token)
 * @feedback your loss differs from the reference's
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const predictions = tf.slice(logits, [0, 1, 0], [b, t - 1, v]);
    const targets = tf.slice(ids, [0, 0], [b, t - 1]);
    const picked = tf.sum(tf.mul(tf.logSoftmax(predictions), tf.oneHot(targets, v)), -1);
    const real = tf.cast(tf.notEqual(targets, padId), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(picked, real))), tf.sum(real)) as tf.Scalar;
  });
}
