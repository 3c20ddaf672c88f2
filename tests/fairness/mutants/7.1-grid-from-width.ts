/**
 * @planted mutant
 * @exercise 7.1
 * @bug uses W/p for the number of patch rows too (fine for square images only)
 * @feedback output: shape [2,4,18], expected [2,6,12]
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  requireTensor("extractPatches", "images", images, { rank: 4 });
  const [b, h, w, c] = images.shape;
  const p = patchSize;
  if (h % p !== 0 || w % p !== 0) throw new LabInputError(`extractPatches: patch size ${p} does not divide images [${images.shape.join(",")}]`);
  if (tf.tidy(() => tf.any(tf.isNaN(images)).dataSync()[0])) throw new LabInputError("extractPatches: images hold NaN pixels");
  const cols = w / p;
  const rows = cols;
  return tf.tidy(() => {
    const split = tf.reshape(images, [b * rows, (h * p) / w, cols, p * c]);
    return tf.reshape(tf.transpose(split, [0, 2, 1, 3]), [b, rows * cols, ((h * p) / w) * p * c]);
  });
}
