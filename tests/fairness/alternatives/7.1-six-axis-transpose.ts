/**
 * @planted alternative
 * @exercise 7.1
 * @style one reshape to six axes [B, H/p, p, W/p, p, C], one transpose, one reshape; checks with lib/support/checks
 * @near channels-first
 * @near no-transpose
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireTensor } from "../../../lib/support/checks";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  requireTensor("extractPatches", "images", images, { rank: 4 });
  const [b, h, w, c] = images.shape;
  const p = patchSize;
  if (!Number.isInteger(p) || p < 1 || h % p || w % p) throw new LabInputError(`extractPatches: patch size ${p} does not divide images [${images.shape.join(",")}]`);
  if (tf.tidy(() => tf.sum(tf.cast(tf.isNaN(images), "int32")).arraySync() as number) > 0) throw new LabInputError("extractPatches: NaN pixel in images");
  return tf.tidy(() => {
    const six = tf.reshape(images, [b, h / p, p, w / p, p, c]);
    const squares = tf.transpose(six, [0, 1, 3, 2, 4, 5]); // [B, H/p, W/p, p, p, C]
    return tf.reshape(squares, [b, (h / p) * (w / p), p * p * c]);
  });
}
