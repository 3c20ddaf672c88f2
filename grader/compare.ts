/**
 * Comparing a student's tensors with the reference, and wording the difference for a student.
 *
 * Rules: NaN and ±Infinity in a student's result are always wrong (even where the reference has
 * the same value, which never happens in the graded inputs); shapes must match exactly; values
 * are compared element by element with |got - expected| <= atol + rtol * |expected|.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A failed check. `problem` is what is wrong, worded for the student and free of this test's
 * numbers (the report merges tests that share it); `detail` is this test's evidence. The message
 * is the two together, one line.
 */
export class CheckFailure extends Error {
  readonly problem: string;
  readonly detail?: string;
  constructor(problem: string, detail?: string) {
    super(detail ? `${problem} (${detail})` : problem);
    this.name = "CheckFailure";
    this.problem = problem;
    this.detail = detail;
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

/** |a - b| <= atol + rtol * |b| everywhere (same length assumed). */
export function allClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: Tolerance = DEFAULT_TOL): boolean {
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol.atol + tol.rtol * Math.abs(b[i]))) return false;
  }
  return true;
}

/**
 * Throws a CheckFailure unless `got` is a live tensor with `expected`'s shape and close values.
 * The detail names the worst element and how many differ:
 * "max abs difference 0.31 at [1,2,0]: expected 0.52, got 0.21; 7 of 30 entries differ".
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
      throw new CheckFailure(`${what} contains ${fmtNum(gv[i])} (NaN/Infinity is never a correct result)`, `at ${fmtIndex(i, g.shape)}, expected ${fmtNum(ev[i])}`);
    }
  }
  if (!allClose(gv, ev, tol)) {
    throw new CheckFailure(`${what} differs from the reference`, worstDifference(gv, ev, g.shape, tol));
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

/** "max abs difference 0.31 at [1,2,0]: expected 0.52, got 0.21; 7 of 30 entries differ". */
export function worstDifference(gv: ArrayLike<number>, ev: ArrayLike<number>, shape: readonly number[], tol: Tolerance = DEFAULT_TOL): string {
  let worst = 0;
  let worstDiff = -1;
  let differ = 0;
  for (let i = 0; i < gv.length; i++) {
    const diff = Math.abs(gv[i] - ev[i]);
    if (diff > tol.atol + tol.rtol * Math.abs(ev[i])) differ++;
    if (diff > worstDiff) {
      worstDiff = diff;
      worst = i;
    }
  }
  const where = `max abs difference ${fmtNum(worstDiff)} at ${fmtIndex(worst, shape)}: expected ${fmtNum(ev[worst])}, got ${fmtNum(gv[worst])}`;
  return differ === gv.length ? `${where}; every entry differs` : `${where}; ${differ} of ${gv.length} entries differ`;
}

/**
 * The first line of a message someone else wrote (a student's error, a tfjs message), shortened
 * to about `max` characters at the end of a sentence or clause, never in the middle of a word.
 * The grader's own messages are never shortened.
 */
export function shorten(message: string, max = 300): string {
  const first = (message.split("\n").find((l) => l.trim() !== "") ?? "").trim();
  if (first.length <= max) return first;
  const head = first.slice(0, max);
  const sentence = Math.max(head.lastIndexOf(". "), head.lastIndexOf("; "), head.lastIndexOf(": "));
  if (sentence >= max / 2) return `${head.slice(0, sentence + 1)} …`;
  const word = head.lastIndexOf(" ");
  return `${head.slice(0, word > max / 2 ? word : max)} …`;
}
