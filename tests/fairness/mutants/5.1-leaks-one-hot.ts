/**
 * @planted mutant
 * @exercise 5.1
 * @bug builds the one-hot targets outside tf.tidy and never frees them
 * @category leaks
 * @feedback nextTokenLoss leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  const [b, t, v] = logits.shape as number[];
  const targets = tf.slice(ids, [0, 1], [b, t - 1]);
  const hot = tf.oneHot(targets, v);
  const loss = tf.tidy(() => {
    const picked = tf.sum(tf.mul(tf.logSoftmax(tf.slice(logits, [0, 0, 0], [b, t - 1, v])), hot), -1);
    const real = tf.cast(tf.notEqual(targets, padId), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(picked, real))), tf.sum(real)) as tf.Scalar;
  });
  targets.dispose();
  return loss;
}
