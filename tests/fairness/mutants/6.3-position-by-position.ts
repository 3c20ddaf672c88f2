/**
 * @planted mutant
 * @exercise 6.3
 * @bug compares the sequences position by position and adds the length difference (no alignment)
 * @feedback only part of your output differs from the reference
 */
import type { Token } from "../../../lib/support/types";

export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let d = Math.abs(x.length - y.length);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) d++;
  return d;
}
