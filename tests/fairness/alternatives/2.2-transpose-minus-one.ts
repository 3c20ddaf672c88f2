/**
 * @planted alternative
 * @exercise 2.2
 * @style transposes to [B, T, h, dh] and reshapes with -1 for the width; own error wording
 */
import * as tf from "@tensorflow/tfjs";

export function mergeHeads(x: tf.Tensor): tf.Tensor {
  if (!(x instanceof tf.Tensor) || x.rank !== 4) {
    throw new Error(`mergeHeads wants x as [B, h, T, dh], got ${x instanceof tf.Tensor ? `[${x.shape.join(", ")}]` : typeof x}`);
  }
  const [b, , t] = x.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, -1]));
}
