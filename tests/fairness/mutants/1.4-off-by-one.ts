/**
 * @planted mutant
 * @exercise 1.4
 * @bug keeps position j when j <= length
 * @misconception off-by-one
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  return tf.tidy(() => {
    const pos = tf.range(0, maxLen, 1, "int32").reshape([1, 1, maxLen]);
    const lens = tf.tensor1d([...lengths], "int32").reshape([lengths.length, 1, 1]);
    return tf.cast(tf.lessEqual(pos, lens), "float32") as tf.Tensor3D;
  });
}
