/**
 * @planted mutant
 * @exercise 7.1
 * @bug disposes the images once the patches are cut
 * @category intact
 * @feedback extractPatches disposed its input
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
  const out = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(images, [b * rows, p, cols, p * c]), [0, 2, 1, 3]), [b, rows * cols, p * p * c]));
  images.dispose();
  return out;
}
