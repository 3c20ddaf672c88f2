/**
 * Comparing a student's tensors with the reference, and wording the difference for a student.
 *
 * Rules: NaN and ±Infinity in a student's result are always wrong (even where the reference has
 * the same value, which never happens in the graded inputs); shapes must match exactly; values
 * are compared element by element with |got - expected| <= atol + rtol * |expected|.
 */
import * as tf from "@tensorflow/tfjs";

/** A failed check: its message is the one-line feedback shown to the student. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailure";
  }
}

/**
 * Recognises a CheckFailure by name rather than with instanceof: extra-check files load their
 * own copy of this module, and their failures must count all the same.
 */
export function isCheckFailure(e: unknown): e is CheckFailure {
  return e instanceof Error && e.name === "CheckFailure";
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Loose enough for float32 and a different (correct) order of operations, far tighter than any misconception. */
export const DEFAULT_TOL: Tolerance = { atol: 1e-4, rtol: 1e-3 };

/** Short, deterministic number formatting for feedback ("0.31", "1.2e-7", "NaN"). */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  return String(Number(x.toPrecision(3)));
}

/** "[2,5,8]", the shape format of lib/support/checks.ts. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Multi-index of a flat (row-major) position, as "[1,2,0]". */
export function fmtIndex(flat: number, shape: readonly number[]): string {
  if (shape.length === 0) return "[]";
  const idx: number[] = new Array(shape.length).fill(0);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(",")}]`;
}

/** What a value is, for "expected a tf.Tensor, got …" messages. */
export function describeValue(x: unknown): string {
  if (x === undefined) return "undefined";
  if (x === null) return "null";
  if (x instanceof tf.Tensor) return `a tf.Tensor of shape ${fmtShape(x.shape)} (${x.dtype})`;
  if (Array.isArray(x)) return `a plain array of length ${x.length}`;
  if (x instanceof Promise) return "a Promise (the function must be synchronous)";
  if (typeof x === "object") return `an object with keys {${Object.keys(x as object).join(", ")}}`;
  return `${typeof x} ${String(x)}`;
}

/** The student's value as a live tensor, or a CheckFailure saying what it is instead. */
export function requireLiveTensor(what: string, x: unknown): tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new CheckFailure(`${what}: expected a tf.Tensor, got ${describeValue(x)}`);
  }
  if (x.isDisposed) {
    throw new CheckFailure(`${what}: the returned tensor was already disposed (return it from tf.tidy instead of disposing it)`);
  }
  return x;
}

function values(t: tf.Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

/**
 * Throws a CheckFailure unless `got` is a live tensor with `expected`'s shape and close values.
 * The message names the worst element: "max abs difference 0.31 at [1,2,0] (expected 0.52, got 0.21)".
 * dtypes are not compared here (output-dtype checks do that), so a bool mask with the right 0/1
 * pattern loses only the dtype points.
 */
export function expectTensorClose(what: string, got: unknown, expected: tf.Tensor, tol: Tolerance = DEFAULT_TOL): void {
  const g = requireLiveTensor(what, got);
  if (g.shape.length !== expected.shape.length || g.shape.some((d, i) => d !== expected.shape[i])) {
    throw new CheckFailure(`${what}: shape ${fmtShape(g.shape)}, expected ${fmtShape(expected.shape)}`);
  }
  const gv = values(g);
  const ev = values(expected);
  for (let i = 0; i < gv.length; i++) {
    if (!Number.isFinite(gv[i])) {
      throw new CheckFailure(
        `${what}: got ${fmtNum(gv[i])} at ${fmtIndex(i, g.shape)} (expected ${fmtNum(ev[i])}); NaN/Infinity is never a correct result`,
      );
    }
  }
  let worst = -1;
  let worstDiff = 0;
  let failed = false;
  for (let i = 0; i < gv.length; i++) {
    const diff = Math.abs(gv[i] - ev[i]);
    if (diff > tol.atol + tol.rtol * Math.abs(ev[i])) failed = true;
    if (diff > worstDiff) {
      worstDiff = diff;
      worst = i;
    }
  }
  if (failed) {
    throw new CheckFailure(
      `${what}: max abs difference ${fmtNum(worstDiff)} at ${fmtIndex(worst, g.shape)} ` +
        `(expected ${fmtNum(ev[worst])}, got ${fmtNum(gv[worst])})`,
    );
  }
}

/**
 * Structural comparison of a student's result with the reference result: a tensor, an array of
 * results, or an object of results (e.g. { output, weights }). Names each part in the message.
 */
export function expectResultClose(what: string, got: unknown, expected: unknown, tol: Tolerance = DEFAULT_TOL): void {
  if (expected instanceof tf.Tensor) {
    expectTensorClose(what, got, expected, tol);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(got) || got.length !== expected.length) {
      throw new CheckFailure(`${what}: expected an array of ${expected.length} results, got ${describeValue(got)}`);
    }
    expected.forEach((e, i) => expectResultClose(`${what}[${i}]`, got[i], e, tol));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    const keys = Object.keys(expected);
    if (got === null || typeof got !== "object" || got instanceof tf.Tensor || Array.isArray(got)) {
      throw new CheckFailure(`${what}: expected an object { ${keys.join(", ")} }, got ${describeValue(got)}`);
    }
    for (const key of keys) {
      expectResultClose(key, (got as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], tol);
    }
    return;
  }
  throw new Error(`expectResultClose: unsupported reference value ${describeValue(expected)}`);
}

/**
 * Whether two results are the same: used to match a student's wrong result against a
 * misconception variant. Unlike expectTensorClose, NaN equals NaN and ±Infinity equals itself
 * (a naive softmax and the student's naive softmax both give NaN in the same places), and the
 * dtypes must agree (so "returns a bool mask" can be recognised).
 */
export function sameResult(a: unknown, b: unknown, tol: Tolerance = DEFAULT_TOL): boolean {
  if (a instanceof tf.Tensor || b instanceof tf.Tensor) {
    if (!(a instanceof tf.Tensor) || !(b instanceof tf.Tensor) || a.isDisposed || b.isDisposed) return false;
    const [sa, sb]: number[][] = [a.shape, b.shape];
    if (a.dtype !== b.dtype || sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) return false;
    const av = values(a);
    const bv = values(b);
    for (let i = 0; i < av.length; i++) {
      const x = av[i];
      const y = bv[i];
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (!(Number.isNaN(x) && Number.isNaN(y))) return false;
      } else if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (x !== y) return false;
      } else if (Math.abs(x - y) > tol.atol + tol.rtol * Math.abs(y)) {
        return false;
      }
    }
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameResult(x, b[i], tol));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = Object.keys(b);
    return keys.every((k) => sameResult((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol));
  }
  return false;
}

/** First line of a message, trimmed to `max` characters, so feedback stays one line. */
export function oneLine(message: string, max = 300): string {
  const first = message.split("\n").find((l) => l.trim() !== "") ?? "";
  const t = first.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
