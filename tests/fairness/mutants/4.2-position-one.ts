/**
 * @planted mutant
 * @exercise 4.2
 * @bug takes position 1 (the first word) instead of [CLS]
 * @feedback the vector at position 1
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  const [b, t, d] = hidden.shape;
  return tf.tidy(() => tf.reshape(tf.slice(hidden, [0, Math.min(1, t - 1), 0], [b, 1, d]), [b, d]));
}
