/**
 * @planted alternative
 * @exercise 7.1
 * @style cuts every patch with tf.slice in two loops (rows outer) and stacks them; its own error wording; manual dispose
 * @near column-major
 * @near no-transpose
 */
import * as tf from "@tensorflow/tfjs";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  if (images.rank !== 4) throw new Error(`extractPatches: images must be [B, H, W, C], got [${images.shape}]`);
  const [b, h, w, c] = images.shape;
  if (h % patchSize !== 0 || w % patchSize !== 0) throw new Error(`extractPatches: ${patchSize} must divide both sides of images [${images.shape}]`);
  const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(images))).dataSync()[0]);
  if (bad) throw new Error("extractPatches: images contain NaN or infinite pixels");
  const pieces: tf.Tensor[] = [];
  for (let r = 0; r < h / patchSize; r++) {
    for (let q = 0; q < w / patchSize; q++) {
      const square = tf.slice(images, [0, r * patchSize, q * patchSize, 0], [b, patchSize, patchSize, c]);
      pieces.push(tf.reshape(square, [b, patchSize * patchSize * c]));
      square.dispose();
    }
  }
  const out = tf.stack(pieces, 1);
  tf.dispose(pieces);
  return out;
}
