/**
 * @planted mutant
 * @exercise 6.4
 * @bug counts the mean distance to all listed pronunciations instead of the closest
 * @feedback output differs from the reference
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  let edits = 0;
  let total = 0;
  predictions.forEach((p, i) => {
    const refs = references[i];
    edits += refs.reduce((s, r) => s + editDistance(p, r), 0) / refs.length;
    total += refs.reduce((s, r) => s + r.length, 0) / refs.length;
  });
  return edits / total;
}
