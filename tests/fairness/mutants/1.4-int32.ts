/**
 * @planted mutant
 * @exercise 1.4
 * @bug returns an int32 mask
 * @feedback output: dtype int32, expected float32
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  return tf.tidy(() => {
    const pos = tf.range(0, maxLen, 1, "int32").reshape([1, 1, maxLen]);
    const lens = tf.tensor1d([...lengths], "int32").reshape([lengths.length, 1, 1]);
    return tf.cast(tf.less(pos, lens), "int32") as tf.Tensor3D;
  });
}
