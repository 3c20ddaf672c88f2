/**
 * @planted mutant
 * @exercise 2.4
 * @bug uses the pair index i instead of 2i in the exponent
 * @misconception exponent-i-over-d
 */
import * as tf from "@tensorflow/tfjs";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).reshape([numPositions, 1]);
    const angles = tf.div(pos, tf.pow(10000, tf.div(tf.range(0, d / 2), d)));
    return tf.reshape(tf.stack([tf.sin(angles), tf.cos(angles)], 2), [numPositions, d]) as tf.Tensor2D;
  });
}
