/**
 * @planted mutant
 * @exercise 6.4
 * @bug divides the edits by the total length of the predictions instead of the references
 * @feedback only part of your output differs from the reference
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  let edits = 0;
  let total = 0;
  predictions.forEach((p, i) => {
    edits += Math.min(...references[i].map((r) => editDistance(p, r)));
    total += p.length;
  });
  return edits / total;
}
