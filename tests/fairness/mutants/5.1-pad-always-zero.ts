/**
 * @planted mutant
 * @exercise 5.1
 * @bug masks id 0 as padding whatever padId says
 * @feedback your loss differs from the reference's
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const targets = tf.slice(ids, [0, 1], [b, t - 1]);
    const picked = tf.sum(tf.mul(tf.logSoftmax(tf.slice(logits, [0, 0, 0], [b, t - 1, v])), tf.oneHot(targets, v)), -1);
    const real = tf.cast(tf.notEqual(targets, 0), "float32"); // PAD_ID is 0 in the course's tokenizers
    return tf.div(tf.neg(tf.sum(tf.mul(picked, real))), tf.sum(real)) as tf.Scalar;
  });
}
