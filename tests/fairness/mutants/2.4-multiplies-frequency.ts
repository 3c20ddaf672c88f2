/**
 * @planted mutant
 * @exercise 2.4
 * @bug multiplies the position by 10000^(2i/d) instead of dividing
 * @feedback some columns of your encoding match the reference and others do not
 */
import * as tf from "@tensorflow/tfjs";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
    const i2 = tf.range(0, d, 2);
    const angles = tf.mul(pos, tf.pow(10000, tf.div(i2, d)));
    return tf.reshape(tf.stack([tf.sin(angles), tf.cos(angles)], 2), [numPositions, d]) as tf.Tensor2D;
  });
}
