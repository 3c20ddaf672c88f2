/**
 * @planted alternative
 * @exercise 6.3
 * @style the recursive definition with a memo table, on copies of the inputs
 * @near substitution-costs-2
 * @near zero-border
 */
import type { Token } from "../../../lib/support/types";

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  if (typeof a !== "string" && !Array.isArray(a)) throw new Error("editDistance: a must be a string or an array of tokens");
  if (typeof b !== "string" && !Array.isArray(b)) throw new Error("editDistance: b must be a string or an array of tokens");
  const x = [...a];
  const y = [...b];
  const memo: number[][] = x.map(() => new Array<number>(y.length).fill(-1));
  const go = (i: number, j: number): number => {
    if (i === x.length) return y.length - j;
    if (j === y.length) return x.length - i;
    if (memo[i][j] < 0) memo[i][j] = Math.min(go(i + 1, j + 1) + (x[i] === y[j] ? 0 : 1), go(i + 1, j) + 1, go(i, j + 1) + 1);
    return memo[i][j];
  };
  return go(0, 0);
}
