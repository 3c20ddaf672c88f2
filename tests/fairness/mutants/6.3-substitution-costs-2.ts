/**
 * @planted mutant
 * @exercise 6.3
 * @bug counts a substitution as a deletion plus an insertion (cost 2)
 * @misconception substitution-costs-2
 * @also 6.4 fix 6.3 first
 */
import type { Token } from "../../../lib/support/types";

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const x = typeof a === "string" ? [...a] : a;
  const y = typeof b === "string" ? [...b] : b;
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = x[i - 1] === y[j - 1] ? d[i - 1][j - 1] : Math.min(d[i - 1][j - 1] + 2, d[i - 1][j] + 1, d[i][j - 1] + 1);
    }
  }
  return d[x.length][y.length];
}
