/**
 * @planted mutant
 * @exercise 6.3
 * @bug the recurrence leaves out deletions (only match/substitute and insert)
 * @feedback only part of your output differs from the reference
 */
import type { Token } from "../../../lib/support/types";

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur.push(Math.min(prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1), cur[j - 1] + 1));
    prev = cur;
  }
  return prev[y.length];
}
