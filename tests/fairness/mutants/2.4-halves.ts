/**
 * @planted mutant
 * @exercise 2.4
 * @bug puts all sines first and all cosines after
 * @misconception halves
 */
import * as tf from "@tensorflow/tfjs";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
    const i2 = tf.range(0, d, 2);
    const angles = tf.div(pos, tf.pow(10000, tf.div(i2, d)));
    return tf.concat([tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D;
  });
}
