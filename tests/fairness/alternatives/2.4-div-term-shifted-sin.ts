/**
 * @planted alternative
 * @exercise 2.4
 * @style frequencies as exp(-ln(10000)·2i/d) (PyTorch's div_term), cosine as sin(angle + π/2), interleaved by stacking
 */
import * as tf from "@tensorflow/tfjs";

export function sinusoidalPositionalEncoding(numPositions: number, d: number): tf.Tensor2D {
  if (!Number.isInteger(numPositions) || numPositions <= 0) throw new Error(`sinusoidalPositionalEncoding: T must be at least 1, not ${numPositions}`);
  if (!Number.isInteger(d) || d <= 0 || d % 2 === 1) throw new Error(`sinusoidalPositionalEncoding: d must be a positive even number, not ${d}`);
  return tf.tidy(() => {
    const pos = tf.range(0, numPositions).expandDims(1);
    const divTerm = tf.exp(tf.mul(tf.range(0, d, 2), -Math.log(10000) / d));
    const angles = tf.mul(pos, divTerm);
    const pairs = tf.stack([tf.sin(angles), tf.sin(tf.add(angles, Math.PI / 2))], 2);
    return tf.reshape(pairs, [numPositions, d]) as tf.Tensor2D;
  });
}
