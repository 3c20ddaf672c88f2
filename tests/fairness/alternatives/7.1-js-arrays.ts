/**
 * @planted alternative
 * @exercise 7.1
 * @style reads the pixels into a JS array and builds the patches with index arithmetic (patch-major loops), tf.tensor3d at the end
 * @near column-major
 */
import * as tf from "@tensorflow/tfjs";

export function extractPatches(images: tf.Tensor, patchSize: number): tf.Tensor {
  if (images.rank !== 4) throw new Error(`extractPatches: expected images of rank 4, got shape ${JSON.stringify(images.shape)}`);
  const [b, h, w, c] = images.shape;
  const p = patchSize;
  if (h % p !== 0 || w % p !== 0) throw new Error(`extractPatches: patch size ${p} leaves a remainder on images ${JSON.stringify(images.shape)}`);
  const src = images.dataSync();
  if (src.some((v) => !Number.isFinite(v))) throw new Error("extractPatches: non-finite pixel values");
  const cols = w / p;
  const n = (h / p) * cols;
  const len = p * p * c;
  const out = new Float32Array(b * n * len);
  let k = 0;
  for (let i = 0; i < b; i++)
    for (let patch = 0; patch < n; patch++) {
      const top = Math.floor(patch / cols) * p;
      const left = (patch % cols) * p;
      for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) for (let ch = 0; ch < c; ch++) out[k++] = src[((i * h + top + y) * w + left + x) * c + ch];
    }
  return tf.tensor3d(out, [b, n, len]);
}
