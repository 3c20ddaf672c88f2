/**
 * @planted mutant
 * @exercise 5.2
 * @bug divides the probabilities by T after the softmax, then renormalises (T cancels out)
 * @misconception temperature-after-softmax
 */
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../../../lib/support/random";
import type { SampleOptions } from "../../../lib/support/types";

export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  const { temperature = 1, seed } = opts;
  const v = logits.shape[logits.rank - 1] as number;
  const k = opts.topK ?? v;
  if (temperature === 0) {
    const best = tf.tidy(() => tf.argMax(logits.reshape([-1, v]), 1));
    const out = Array.from(best.dataSync());
    best.dispose();
    return out;
  }
  const p = tf.tidy(() => {
    const rows = logits.reshape([-1, v]);
    const kth = tf.topk(rows, k).indices;
    const keep = tf.sum(tf.oneHot(kth, v), 1);
    const probs = tf.div(tf.mul(tf.softmax(rows), keep), temperature);
    return tf.div(probs, tf.sum(probs, 1, true));
  });
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
