/**
 * @planted mutant
 * @exercise 7.1
 * @bug moves the channels in front of the pixel rows inside each patch
 * @misconception channels-first
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
  return tf.tidy(() => {
    const five = tf.reshape(images, [b * rows, p, cols, p, c]);
    return tf.reshape(tf.transpose(five, [0, 2, 4, 1, 3]), [b, rows * cols, p * p * c]);
  });
}
