/**
 * @planted mutant
 * @exercise 5.2
 * @bug multiplies the logits by T instead of dividing (T = 0.6 flattens, 1.8 sharpens)
 * @feedback not the one this seed picks
 */
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../../../lib/support/random";
import type { SampleOptions } from "../../../lib/support/types";

export function sampleNext(logits: tf.Tensor, opts: SampleOptions = {}): number[] {
  const v = logits.shape[logits.rank - 1];
  const temperature = opts.temperature ?? 1;
  const k = opts.topK ?? v;
  if (!(temperature >= 0)) throw new Error(`sampleNext: temperature must be >= 0, got ${temperature}`);
  if (!Number.isInteger(k) || k < 1 || k > v) throw new Error(`sampleNext: topK must be an integer from 1 to ${v}, got ${k}`);
  if (temperature > 0 && !opts.seed) throw new Error("sampleNext: a non-zero seed is needed when temperature > 0");
  const flat = Array.from(logits.dataSync());
  const rows: number[][] = [];
  for (let r = 0; r < flat.length / v; r++) rows.push(flat.slice(r * v, (r + 1) * v));
  if (temperature === 0) return rows.map((row) => {
    let best = 0;
    for (let i = 1; i < v; i++) if (row[i] > row[best]) best = i;
    return best;
  });
  const random = seededRandom(opts.seed as number);
  return rows.map((row, r) => {
    const order = row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    const kept = new Set(order.slice(0, k));
    const weights = row.map((x, i) => (kept.has(i) ? Math.exp((x - row[order[0]]) * temperature) : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    const u = random();
    let c = 0;
    let chosen = -1;
    for (let i = 0; i < v; i++) {
      if (weights[i] === 0) continue;
      chosen = i;
      c += weights[i] / total;
      if (c > u) break;
    }
    return chosen;
  });
}
