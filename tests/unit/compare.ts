/** Comparison helpers shared by the project's tests. */
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";

/**
 * max |a − b| / (1 + max |b|): a relative error that does not blow up near zero. The shapes must
 * agree and every value of `a` must be finite.
 */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  expect(Array.from(x).every(Number.isFinite)).toBe(true);
  return worst / (1 + scale);
}
