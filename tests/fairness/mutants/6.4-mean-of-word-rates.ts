/**
 * @planted mutant
 * @exercise 6.4
 * @bug averages each word's own rate (edits / its reference length)
 * @misconception mean-of-word-rates
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  const rates = predictions.map((p, i) => {
    const dists = references[i].map((r) => editDistance(p, r));
    const j = dists.indexOf(Math.min(...dists));
    return dists[j] / references[i][j].length;
  });
  return rates.reduce((s, r) => s + r, 0) / rates.length;
}
