/**
 * @planted mutant
 * @exercise 6.3
 * @bug recursive version that consumes the caller's arrays with shift()
 * @category intact
 * @feedback editDistance changed its input array
 */
import type { Token } from "../../../lib/support/types";

function distanceOf(x: Token[], y: Token[]): number {
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === x.length) return y.length - j;
    if (j === y.length) return x.length - i;
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const r = Math.min(go(i + 1, j + 1) + (x[i] === y[j] ? 0 : 1), go(i + 1, j) + 1, go(i, j + 1) + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const x = (typeof a === "string" ? [...a] : a) as Token[];
  const y = (typeof b === "string" ? [...b] : b) as Token[];
  // strip the common first tokens (they cost nothing)
  while (x.length > 0 && y.length > 0 && x[0] === y[0]) {
    x.shift();
    y.shift();
  }
  return distanceOf(x, y);
}
