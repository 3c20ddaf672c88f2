/**
 * @planted alternative
 * @exercise 6.4
 * @style one reduce over the words with the student's own editDistance, the closest pronunciation found with a second reduce, its own error wording
 * @near mean-of-word-rates
 * @near first-pronunciation-only
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  if (!Array.isArray(predictions) || !Array.isArray(references) || predictions.length !== references.length) {
    throw new Error(`phonemeErrorRate: need one list of references per prediction, got ${predictions?.length} predictions and ${references?.length} references`);
  }
  const totals = predictions.reduce(
    (acc, p, i) => {
      const best = references[i].reduce((b: { d: number; n: number }, r: readonly Token[]) => {
        const d = editDistance(p, r);
        return d < b.d ? { d, n: r.length } : b;
      }, { d: Infinity, n: 0 });
      return { edits: acc.edits + best.d, length: acc.length + best.n };
    },
    { edits: 0, length: 0 },
  );
  return totals.edits / totals.length;
}
