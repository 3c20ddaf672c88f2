/**
 * @planted mutant
 * @exercise 6.4
 * @bug scores every word against references[i][0] only
 * @misconception first-pronunciation-only
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  let edits = 0;
  let total = 0;
  predictions.forEach((p, i) => {
    edits += editDistance(p, references[i][0]);
    total += references[i][0].length;
  });
  return edits / total;
}
