/**
 * @planted mutant
 * @exercise 7.1
 * @bug reshapes and transposes outside tf.tidy
 * @category leaks
 * @feedback extractPatches leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  requireTensor("extractPatches", "images", images, { rank: 4 });
  const [b, h, w, c] = images.shape;
  const p = patchSize;
  if (h % p !== 0 || w % p !== 0) throw new LabInputError(`extractPatches: patch size ${p} does not divide images [${images.shape.join(",")}]`);
  if (tf.tidy(() => tf.any(tf.isNaN(images)).dataSync()[0])) throw new LabInputError("extractPatches: images hold NaN pixels");
  const rows = h / p;
  const cols = w / p;
  const split = tf.reshape(images, [b * rows, p, cols, p * c]);
  const grouped = tf.transpose(split, [0, 2, 1, 3]);
  return tf.reshape(grouped, [b, rows * cols, p * p * c]);
}
