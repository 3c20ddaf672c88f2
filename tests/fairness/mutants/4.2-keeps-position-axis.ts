/**
 * @planted mutant
 * @exercise 4.2
 * @bug returns [B, 1, d] (the slice without the reshape)
 * @feedback shape
 */
import * as tf from "@tensorflow/tfjs";

export function clsPool(hidden: tf.Tensor): tf.Tensor {
  const [b, , d] = hidden.shape;
  return tf.slice(hidden, [0, 0, 0], [b, 1, d]);
}
