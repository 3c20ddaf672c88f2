/**
 * @planted mutant
 * @exercise 7.1
 * @bug crops the image to a multiple of the patch size instead of raising an error
 * @category errors
 * @feedback extractPatches returned instead of throwing on bad input
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  requireTensor("extractPatches", "images", images, { rank: 4 });
  const [b, h, w, c] = images.shape;
  const p = patchSize;
  const rows = Math.floor(h / p);
  const cols = Math.floor(w / p);
  return tf.tidy(() => {
    const cropped = tf.slice(images, [0, 0, 0, 0], [b, rows * p, cols * p, c]);
    const split = tf.reshape(cropped, [b * rows, p, cols, p * c]);
    return tf.reshape(tf.transpose(split, [0, 2, 1, 3]), [b, rows * cols, p * p * c]);
  });
}
