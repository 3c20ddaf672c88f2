/**
 * @planted mutant
 * @exercise 2.4
 * @bug cosine in the even columns, sine in the odd ones
 * @feedback has the reference's columns in a different order
 */
import * as tf from "@tensorflow/tfjs";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
    const i2 = tf.range(0, d, 2);
    const angles = tf.div(pos, tf.pow(10000, tf.div(i2, d)));
    return tf.reshape(tf.stack([tf.cos(angles), tf.sin(angles)], 2), [numPositions, d]) as tf.Tensor2D;
  });
}
