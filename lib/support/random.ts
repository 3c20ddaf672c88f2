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

/**
 * A seeded generator of uniform numbers in [0, 1) for plain-JS work (shuffling, splits, batch
 * order), with no tensors involved. The algorithm (mulberry32) is fixed: the committed data
 * splits in datasets/ were drawn with it, so changing it changes every rebuilt split.
 */
export function seededRandom(seed: number): () => number {
  requireSeed("seededRandom", seed);
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in a seeded random order (Fisher-Yates); `items` itself is left as it was. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  requireSeed("shuffled", seed);
  const out = items.slice();
  const rand = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
