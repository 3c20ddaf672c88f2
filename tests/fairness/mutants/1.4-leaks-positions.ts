/**
 * @planted mutant
 * @exercise 1.4
 * @bug makes the positions tensor outside tf.tidy
 * @category leaks
 * @feedback paddingMask leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";

export function paddingMask(lengths: readonly number[], maxLen: number): tf.Tensor3D {
  const pos = tf.range(0, maxLen, 1, "int32").reshape([1, 1, maxLen]);
  return tf.tidy(() => {
    const lens = tf.tensor1d([...lengths], "int32").reshape([lengths.length, 1, 1]);
    return tf.cast(tf.less(pos, lens), "float32") as tf.Tensor3D;
  });
}
