/**
 * @planted mutant
 * @exercise 6.4
 * @bug sorts each word's list of pronunciations in place (by distance) to take the closest first
 * @category intact
 * @feedback phonemeErrorRate replaced "references
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  let edits = 0;
  let total = 0;
  predictions.forEach((p, i) => {
    const refs = references[i] as (readonly Token[])[];
    refs.sort((x, y) => editDistance(p, x) - editDistance(p, y));
    edits += editDistance(p, refs[0]);
    total += refs[0].length;
  });
  return edits / total;
}
