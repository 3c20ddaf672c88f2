/**
 * @planted alternative
 * @exercise 4.1
 * @style plain JS loops over dataSync() values, a Set of special ids, its own error wording
 * @near specials-eligible
 * @near labels-everywhere
 */
import * as tf from "@tensorflow/tfjs";
import { randu } from "../../../lib/support/random";
import type { MlmMaskOptions, MlmMaskResult } from "../../../lib/support/types";

function uniforms(shape: [number, number], seed: number): Float32Array {
  const t = randu(shape, seed);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

export function mlmMask(ids: tf.Tensor, options: MlmMaskOptions): MlmMaskResult {
  if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== "int32") throw new Error(`mlmMask: ids must be an int32 [B, T] tensor`);
  const { maskId, vocabSize, seed, specialIds } = options;
  const rate = options.rate ?? 0.15;
  if (!Number.isInteger(seed) || seed < 1) throw new Error(`mlmMask: the seed must be a positive integer (got ${seed})`);
  if (!(rate > 0 && rate <= 1)) throw new Error(`mlmMask: rate ${rate} is not in (0, 1]`);
  const shape = ids.shape as [number, number];
  const x = ids.dataSync();
  for (const v of x) if (v < 0 || v >= vocabSize) throw new Error(`mlmMask: id ${v} is outside [0, ${vocabSize})`);
  const special = new Set(specialIds);
  const regular = [];
  for (let id = 0; id < vocabSize; id++) if (!special.has(id) && id !== maskId) regular.push(id);
  const [u, a, r] = [uniforms(shape, seed), uniforms(shape, seed + 1), uniforms(shape, seed + 2)];
  const inputs = new Int32Array(x.length);
  const labels = new Int32Array(x.length).fill(-100);
  for (let i = 0; i < x.length; i++) {
    inputs[i] = x[i];
    if (special.has(x[i]) || !(u[i] < Math.fround(rate))) continue;
    labels[i] = x[i];
    if (a[i] < Math.fround(0.8)) inputs[i] = maskId;
    else if (a[i] < Math.fround(0.9)) inputs[i] = regular[Math.min(Math.floor(r[i] * regular.length), regular.length - 1)];
  }
  return { inputs: tf.tensor2d(inputs, shape, "int32"), labels: tf.tensor2d(labels, shape, "int32") };
}
