/**
 * @planted alternative
 * @exercise 5.1
 * @style picked logit minus logSumExp over the vocabulary, padding zeroed with tf.where; its own input checks
 * @near softmax-over-positions
 * @near not-shifted
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  if (logits.rank !== 3 || ids.rank !== 2 || ids.shape[0] !== logits.shape[0] || ids.shape[1] !== logits.shape[1]) {
    throw new Error(`nextTokenLoss: logits [${logits.shape}] and ids [${ids.shape}] must be [B, T, V] and [B, T]`);
  }
  return tf.tidy(() => {
    const [b, t, v] = logits.shape as number[];
    const scores = logits.slice([0, 0, 0], [b, t - 1, v]); // predictions for positions 1 … T-1
    const next = ids.slice([0, 1], [b, t - 1]);
    const logNorm = tf.logSumExp(scores, -1); // [B, T-1]
    const chosen = tf.sum(tf.mul(scores, tf.oneHot(next, v)), -1); // [B, T-1]
    const isPad = tf.equal(next, padId);
    const nll = tf.where(isPad, tf.zerosLike(chosen), tf.sub(logNorm, chosen));
    const count = tf.sum(tf.cast(tf.logicalNot(isPad), "float32"));
    return tf.div(tf.sum(nll), count) as tf.Scalar;
  });
}
