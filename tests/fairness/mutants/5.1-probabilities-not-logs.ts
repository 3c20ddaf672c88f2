/**
 * @planted mutant
 * @exercise 5.1
 * @bug averages −p(next token) instead of −log p(next token)
 * @feedback your loss differs from the reference's
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const targets = tf.slice(ids, [0, 1], [b, t - 1]);
    const p = tf.sum(tf.mul(tf.softmax(tf.slice(logits, [0, 0, 0], [b, t - 1, v])), tf.oneHot(targets, v)), -1);
    const real = tf.cast(tf.notEqual(targets, padId), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(p, real))), tf.sum(real)) as tf.Scalar;
  });
}
