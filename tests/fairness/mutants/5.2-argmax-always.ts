/**
 * @planted mutant
 * @exercise 5.2
 * @bug returns tf.argMax whatever the temperature (the seed is never used)
 * @misconception greedy-when-warm
 */
import * as tf from "@tensorflow/tfjs";
import type { SampleOptions } from "../../../lib/support/types";

export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  const v = logits.shape[logits.rank - 1] as number;
  if ((opts.temperature ?? 1) < 0) throw new Error(`sampleNext: temperature ${opts.temperature} is negative`);
  if (opts.topK !== undefined && (opts.topK < 1 || opts.topK > v)) throw new Error(`sampleNext: topK ${opts.topK} is outside [1, ${v}]`);
  const best = tf.tidy(() => tf.argMax(logits.reshape([-1, v]), 1));
  const out = Array.from(best.dataSync());
  best.dispose();
  return out;
}
