/**
 * @planted mutant
 * @exercise 6.3
 * @bug counts swapping two neighbouring tokens as one edit (a different distance: Damerau's)
 * @feedback only part of your output differs from the reference
 */
import type { Token } from "../../../lib/support/types";

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1), d[i - 1][j] + 1, d[i][j - 1] + 1);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}
