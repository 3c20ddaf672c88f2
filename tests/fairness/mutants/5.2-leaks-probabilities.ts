/**
 * @planted mutant
 * @exercise 5.2
 * @bug computes the probabilities with plain tfjs calls and frees only the last tensor
 * @category leaks
 * @feedback sampleNext leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../../../lib/support/random";
import type { SampleOptions } from "../../../lib/support/types";

export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  const { temperature = 1, seed } = opts;
  const v = logits.shape[logits.rank - 1] as number;
  const k = opts.topK ?? v;
  if (temperature < 0) throw new Error(`sampleNext: temperature ${temperature} < 0`);
  if (k < 1 || k > v) throw new Error(`sampleNext: topK ${k} not in [1, ${v}]`);
  if (temperature > 0 && !seed) throw new Error("sampleNext: seed missing");
  const rows = logits.reshape([-1, v]);
  if (temperature === 0) {
    const best = tf.argMax(rows, 1);
    const out = Array.from(best.dataSync());
    best.dispose();
    return out;
  }
  const scaled = tf.div(rows, temperature);
  const kept = tf.sum(tf.oneHot(tf.topk(scaled, k).indices, v), 1);
  const p = tf.softmax(tf.where(tf.greater(kept, 0), scaled, tf.fill(scaled.shape, -Infinity)));
  const probs = p.arraySync() as number[][];
  p.dispose();
  const random = seededRandom(seed as number);
  return probs.map((row) => {
    const u = random();
    let c = 0;
    let last = -1;
    for (let i = 0; i < row.length; i++) {
      if (row[i] === 0) continue;
      last = i;
      c += row[i];
      if (c > u) return i;
    }
    return last;
  });
}
