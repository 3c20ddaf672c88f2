/**
 * @planted alternative
 * @exercise 6.3
 * @style the full (m + 1) × (n + 1) table filled row by row, with the empty-sequence border written out
 * @near zero-border
 */
import type { Token } from "../../../lib/support/types";

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const table: number[][] = [];
  for (let i = 0; i <= x.length; i++) {
    table.push([i]);
    for (let j = 1; j <= y.length; j++) {
      if (i === 0) {
        table[0].push(j);
        continue;
      }
      const same = x[i - 1] === y[j - 1];
      table[i].push(Math.min(table[i - 1][j - 1] + (same ? 0 : 1), table[i - 1][j] + 1, table[i][j - 1] + 1));
    }
  }
  return table[x.length][y.length];
}
