/**
 * @planted mutant
 * @exercise 6.4
 * @bug returns the fraction of words that are not exactly right (a word error rate)
 * @feedback only part of your output differs from the reference
 */
import { editDistance } from "../../../lib/decoding";
import type { Token } from "../../../lib/support/types";

export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  const wrong = predictions.filter((p, i) => references[i].every((r) => editDistance(p, r) > 0)).length;
  return wrong / predictions.length;
}
