/**
 * @planted alternative
 * @exercise 5.2
 * @style softmax first, then p^(1/T) renormalised (the same distribution as softmax(logits / T)); top-k by a threshold on the k-th value from tf.topk with ties resolved by id; tf.argMax for greedy
 * @near temperature-after-softmax
 * @near greedy-when-warm
 * @near top-k-minus-one
 */
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../../../lib/support/random";
import type { SampleOptions } from "../../../lib/support/types";

export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  const { temperature = 1, seed } = opts;
  const v = logits.shape[logits.rank - 1] as number;
  const k = opts.topK ?? v;
  if (temperature < 0 || Number.isNaN(temperature)) throw new Error(`sampleNext: the temperature cannot be negative (${temperature})`);
  if (!(k >= 1 && k <= v && Math.floor(k) === k)) throw new Error(`sampleNext: topK = ${k} is not between 1 and V = ${v}`);
  if (temperature > 0 && (seed === undefined || seed === 0)) throw new Error("sampleNext: pass opts.seed (non-zero) to sample");
  const rows2d = logits.rank === 1 ? logits.expandDims(0) : logits;
  try {
    if (temperature === 0) {
      const best = tf.argMax(rows2d, 1);
      const out = Array.from(best.dataSync());
      best.dispose();
      return out;
    }
    const p = tf.tidy(() => {
      const base = tf.softmax(rows2d); // [B, V]
      const sharpened = tf.pow(base, 1 / temperature); // p^(1/T) ∝ exp(logit / T)
      let keep: tf.Tensor = tf.onesLike(sharpened);
      if (k < v) {
        // rank of each entry within its row: how many entries beat it (larger, or equal with a lower id)
        const x = rows2d.expandDims(2); // [B, V, 1]
        const y = rows2d.expandDims(1); // [B, 1, V]
        const ids = tf.range(0, v, 1, "int32");
        const lowerId = tf.less(ids.expandDims(0), ids.expandDims(1)); // [V, V]: j < i
        const beats = tf.logicalOr(tf.greater(y, x), tf.logicalAnd(tf.equal(y, x), lowerId));
        const rank = tf.sum(tf.cast(beats, "int32"), 2);
        keep = tf.cast(tf.less(rank, k), "float32");
      }
      const kept = tf.mul(sharpened, keep);
      return tf.div(kept, tf.sum(kept, 1, true));
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
  } finally {
    if (rows2d !== logits) rows2d.dispose();
  }
}
