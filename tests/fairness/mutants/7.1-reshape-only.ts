/**
 * @planted mutant
 * @exercise 7.1
 * @bug reshapes straight to [B, N, p·p·C]
 * @misconception no-transpose
 * @also 7.4 fix 7.1 first
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  requireTensor("extractPatches", "images", images, { rank: 4 });
  const [b, h, w, c] = images.shape;
  const p = patchSize;
  if (h % p !== 0 || w % p !== 0) throw new LabInputError(`extractPatches: patch size ${p} does not divide images [${images.shape.join(",")}]`);
  if (tf.tidy(() => tf.any(tf.isNaN(images)).dataSync()[0])) throw new LabInputError("extractPatches: images hold NaN pixels");
  return tf.reshape(images, [b, (h / p) * (w / p), p * p * c]);
}
