/**
 * @planted mutant
 * @exercise 2.4
 * @bug uses 1000 instead of 10000 as the base
 * @feedback some columns of your encoding match the reference and others do not
 * @feedback columns 0, 1 match
 */
import * as tf from "@tensorflow/tfjs";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
    const i2 = tf.range(0, d, 2);
    const angles = tf.div(pos, tf.pow(1000, tf.div(i2, d)));
    return tf.reshape(tf.stack([tf.sin(angles), tf.cos(angles)], 2), [numPositions, d]) as tf.Tensor2D;
  });
}
