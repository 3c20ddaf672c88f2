/**
 * Seeded randomness. tfjs has no global seed, so every random tensor in the course takes one.
 * Seeds must be non-zero: tfjs treats seed 0 as "no seed" and draws fresh numbers.
 */
import * as tf from "@tensorflow/tfjs";

function requireSeed(fn: string, seed: number): void {
  if (!Number.isInteger(seed) || seed === 0) {
    throw new Error(`${fn}: seed must be a non-zero integer (tfjs ignores seed 0), got ${seed}`);
  }
}

/** Standard normal samples of `shape`, the same numbers for the same seed on every run. */
export function randn(shape: number[], seed: number, std = 1): tf.Tensor {
  requireSeed("randn", seed);
  return tf.randomNormal(shape, 0, std, "float32", seed);
}

/** Uniform samples in [min, max), the same numbers for the same seed on every run. */
export function randu(shape: number[], seed: number, min = 0, max = 1): tf.Tensor {
  requireSeed("randu", seed);
  return tf.randomUniform(shape, min, max, "float32", seed);
}
