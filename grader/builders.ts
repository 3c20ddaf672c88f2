/**
 * Builders for the kinds of graded checks every exercise uses: value comparisons with the
 * reference (with misconception diagnosis), shape/dtype, leak, untouched inputs and bad-input
 * errors. Each returns a plain Check object; the exercise files only supply inputs and calls.
 */
import * as tf from "@tensorflow/tfjs";
import { findExercise } from "../lib/support/exercises";
import {
  CheckFailure,
  DEFAULT_TOL,
  describeValue,
  expectResultClose,
  fmtShape,
  isCheckFailure,
  oneLine,
  requireLiveTensor,
  sameResult,
  type Tolerance,
} from "./compare";
import { misconceptionsFor } from "../tests/grading/misconceptions";
import type { Check, CheckContext, Misconception } from "./types";
import { errorMessage, errorName, isStudentError, restoreEngine, snapshotEngine } from "./watchdog";

/** Calls a module's function with prepared arguments; used for the reference, the student and the variants alike. */
export type Call<M, A> = (m: M, args: A) => unknown;

/** Seeded standard-normal tensor. tfjs ignores seed 0, hence the guard. */
export function randn(shape: number[], seed: number, std = 1): tf.Tensor {
  if (!Number.isInteger(seed) || seed === 0) throw new Error(`randn: seed must be a non-zero integer, got ${seed}`);
  return tf.randomNormal(shape, 0, std, "float32", seed);
}

/** A stub's error, recognised by name: the staged support code has its own NotImplementedYet class. */
export function isNotImplemented(e: unknown): boolean {
  return e instanceof Error && e.name === "NotImplementedYet";
}

/**
 * Finds the misconception whose variant behaves like the student's code on the same inputs:
 * same result (sameResult: NaN equals NaN, dtypes must agree) or the same thrown message (or,
 * for a variant with `errorLike`, a message it recognises as the same problem).
 * Variants run in their own tfjs scope so their tensors never count against the student.
 */
export function diagnose<M, A>(
  exercise: string,
  ref: M,
  call: Call<M, A>,
  args: A,
  student: { value: unknown } | { error: unknown },
): Misconception | undefined {
  const fn = findExercise(exercise).fn;
  for (const m of misconceptionsFor(exercise)) {
    const variant = { ...(ref as object), [fn]: m.fn } as M;
    const snap = snapshotEngine();
    tf.engine().startScope();
    try {
      let value: unknown;
      let error: unknown;
      let threw = false;
      try {
        value = call(variant, args);
      } catch (e) {
        threw = true;
        error = e;
      }
      if ("error" in student) {
        if (threw) {
          const got = errorMessage(student.error);
          const want = errorMessage(error);
          if (got === want || (m.errorLike !== undefined && m.errorLike(got, want))) return m;
        }
      } else if (!threw && sameResult(student.value, value)) {
        return m;
      }
    } finally {
      restoreEngine(snap);
    }
  }
  return undefined;
}

export interface ValueCheckSpec<M, A> {
  exercise: string;
  name: string;
  points: number;
  /** Builds the inputs (seeded, so every run sees the same numbers). */
  inputs: () => A;
  call: Call<M, A>;
  tol?: Tolerance;
  /**
   * How to judge the student's result against the reference's (default: expectResultClose).
   * Throws a CheckFailure when wrong.
   */
  judge?: (got: unknown, expected: unknown, args: A) => void;
  /**
   * Called when the check fails: an extra sentence for the feedback, or undefined. Blocks
   * exercises use it to point at a wrong multiHeadAttention (2.3) the layer builds on.
   */
  explain?: (ctx: CheckContext) => string | undefined;
}

/**
 * A check that runs the student's function and the reference on the same inputs and judges the
 * result. When it fails, each misconception variant of the exercise is run on the same inputs;
 * if the student's result (or thrown error) matches one, the feedback names the mistake.
 */
export function valueCheck<M, A>(spec: ValueCheckSpec<M, A>): Check<M> {
  const fn = findExercise(spec.exercise).fn;
  const judge = spec.judge ?? ((got: unknown, expected: unknown) => expectResultClose("output", got, expected, spec.tol ?? DEFAULT_TOL));
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    run(impl: M, ref: M, ctx?: CheckContext): void {
      const args = spec.inputs();
      const expected = spec.call(ref, args);
      const note = () => (spec.explain && ctx ? spec.explain(ctx) : undefined);
      let got: unknown;
      try {
        got = spec.call(impl, args);
      } catch (e) {
        if (isStudentError(e) && !isNotImplemented(e.original)) {
          const m = diagnose(spec.exercise, ref, spec.call, args, { error: e.original });
          if (m) {
            throw new CheckFailure(`your ${fn} throws the same error as ${m.looksLike}: ${m.fix} (it threw: ${oneLine(errorMessage(e.original), 160)})`);
          }
          const extra = note();
          if (extra) throw new CheckFailure(`${oneLine(e.message, 300)}; ${extra}`);
        }
        throw e;
      }
      try {
        judge(got, expected, args);
      } catch (e) {
        if (isCheckFailure(e)) {
          const m = diagnose(spec.exercise, ref, spec.call, args, { value: got });
          if (m) throw new CheckFailure(`your output equals ${m.looksLike}: ${m.fix} (${e.message})`);
          const extra = note();
          if (extra) throw new CheckFailure(`${e.message}; ${extra}`);
        }
        throw e;
      }
    },
  };
}

/** Every tensor in a result (a tensor, an array or an object of them). */
export function tensorsIn(x: unknown): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap(tensorsIn);
  if (x !== null && typeof x === "object") return Object.values(x).flatMap(tensorsIn);
  return [];
}

/**
 * Judge for output-format checks: same structure, shapes and dtypes as the reference, and finite
 * values (NaN never passes, even in a check about shapes).
 */
export function expectShapeAndDtype(what: string, got: unknown, expected: unknown): void {
  if (expected instanceof tf.Tensor) {
    const g = requireLiveTensor(what, got);
    if (g.shape.length !== expected.shape.length || g.shape.some((d, i) => d !== expected.shape[i])) {
      throw new CheckFailure(`${what}: shape ${fmtShape(g.shape)}, expected ${fmtShape(expected.shape)}`);
    }
    if (g.dtype !== expected.dtype) {
      throw new CheckFailure(`${what}: dtype ${g.dtype}, expected ${expected.dtype} (convert with tf.cast(x, "${expected.dtype}"))`);
    }
    const data = g.dataSync() as ArrayLike<number>;
    let finite = true;
    for (let i = 0; i < data.length && finite; i++) finite = Number.isFinite(data[i]);
    if (!finite) throw new CheckFailure(`${what}: contains NaN or Infinity (NaN/Infinity is never a correct result)`);
    return;
  }
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    const keys = Object.keys(expected);
    if (got === null || typeof got !== "object" || got instanceof tf.Tensor || Array.isArray(got)) {
      throw new CheckFailure(`${what}: expected an object { ${keys.join(", ")} }, got ${describeValue(got)}`);
    }
    for (const k of keys) expectShapeAndDtype(k, (got as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]);
    return;
  }
  throw new Error(`expectShapeAndDtype: unsupported reference value ${describeValue(expected)}`);
}

/** A value check judged on shapes and dtypes only (with diagnosis, so "bool mask" or "[B, maxLen]" get named). */
export function shapeDtypeCheck<M, A>(spec: Omit<ValueCheckSpec<M, A>, "judge" | "tol">): Check<M> {
  return valueCheck({ ...spec, judge: (got, expected) => expectShapeAndDtype("output", got, expected) });
}

export interface LeakCheckSpec<M, A> {
  exercise: string;
  name: string;
  points: number;
  /** One or more argument sets; each is checked. */
  cases: () => A[];
  call: Call<M, A>;
}

/**
 * The leak check: after a warm-up call (tfjs and the wasm backend allocate caches on first use),
 * a second call whose results are then disposed must leave tf.memory().numTensors unchanged.
 */
export function leakCheck<M, A>(spec: LeakCheckSpec<M, A>): Check<M> {
  const fn = findExercise(spec.exercise).fn;
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    run(impl: M): void {
      for (const args of spec.cases()) {
        const warm = spec.call(impl, args);
        if (tensorsIn(warm).length === 0) throw new CheckFailure(`${fn} returned ${describeValue(warm)} instead of tensors`);
        tf.dispose(tensorsIn(warm));
        const before = tf.memory().numTensors;
        const result = spec.call(impl, args);
        tf.dispose(tensorsIn(result));
        const leaked = tf.memory().numTensors - before;
        if (leaked > 0) {
          throw new CheckFailure(
            `${fn} leaves ${leaked} tensor(s) behind on every call: wrap the computation in tf.tidy(() => …) so intermediate tensors are freed`,
          );
        }
      }
    },
  };
}

export interface InputsIntactSpec<M, A extends Record<string, unknown>> {
  exercise: string;
  name: string;
  points: number;
  inputs: () => A;
  call: Call<M, A>;
}

/** The student's function must neither dispose nor change its inputs (tensors or arrays). */
export function inputsIntactCheck<M, A extends Record<string, unknown>>(spec: InputsIntactSpec<M, A>): Check<M> {
  const fn = findExercise(spec.exercise).fn;
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    run(impl: M): void {
      const args = spec.inputs();
      const before = new Map<string, string>();
      for (const [name, x] of Object.entries(args)) {
        if (x instanceof tf.Tensor) before.set(name, JSON.stringify([x.shape, x.dtype, Array.from(x.dataSync() as ArrayLike<number>)]));
        else if (Array.isArray(x)) before.set(name, JSON.stringify(x));
      }
      const result = spec.call(impl, args);
      // Points for leaving the inputs alone only make sense for a function that computes something.
      if (tensorsIn(result).length === 0) throw new CheckFailure(`${fn} returned ${describeValue(result)} instead of tensors`);
      for (const [name, x] of Object.entries(args)) {
        if (!before.has(name)) continue;
        if (x instanceof tf.Tensor) {
          if (x.isDisposed) {
            throw new CheckFailure(`${fn} disposed its input "${name}": the caller owns the inputs; only dispose tensors you created (tf.tidy does that for you)`);
          }
          if (JSON.stringify([x.shape, x.dtype, Array.from(x.dataSync() as ArrayLike<number>)]) !== before.get(name)) {
            throw new CheckFailure(`${fn} changed its input "${name}": compute new tensors instead of modifying the inputs`);
          }
        } else if (JSON.stringify(x) !== before.get(name)) {
          throw new CheckFailure(`${fn} changed its input array "${name}" (e.g. sorted it in place): copy it first`);
        }
      }
    },
  };
}

export interface BadInputCase<M> {
  /** How the call looks, for the feedback: "q [2,5,8], k [2,6,4]". */
  describe: string;
  call: (m: M) => unknown;
  /** What the message must contain besides the function name (shapes as "2,5,8", or patterns). */
  mention: readonly (string | RegExp)[];
  /** Human wording of `mention` for the feedback. */
  mentionText: string;
  /**
   * Other function names that also count as naming the function: a layer that rejects bad
   * input through the building block that noticed it ("layerNorm: gamma [6] must be [8] …"
   * from encoderLayer) tells the student as much as one that re-checks everything itself.
   */
  alsoNamed?: readonly string[];
}

/** Removes spaces and accepts "2x5x8" for "2,5,8", so any sensible shape formatting counts. */
function normaliseMessage(msg: string): string {
  return msg.replace(/\s+/g, "").replace(/(\d)[x×](?=\d)/g, "$1,");
}

/**
 * Bad input must raise an Error naming the function and what is wrong: a tfjs internal message
 * ("Error in matMul: inner shapes …") does not name the student's function, so it does not count.
 */
export function badInputCheck<M>(spec: { exercise: string; name: string; points: number; cases: readonly BadInputCase<M>[] }): Check<M> {
  const fn = findExercise(spec.exercise).fn;
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    run(impl: M): void {
      for (const c of spec.cases) {
        let thrown: unknown;
        let threw = false;
        try {
          c.call(impl);
        } catch (e) {
          if (!(isStudentError(e)) || isNotImplemented(e.original)) throw e;
          threw = true;
          thrown = e.original;
        }
        const hint = `check the inputs at the start of ${fn} and throw an Error that names ${fn} and ${c.mentionText} (lib/support/checks.ts has helpers)`;
        if (!threw) throw new CheckFailure(`${fn}(${c.describe}) returned instead of throwing: ${hint}`);
        if (!(thrown instanceof Error)) throw new CheckFailure(`${fn}(${c.describe}) threw ${errorName(thrown)} ${String(thrown)}, not an Error: ${hint}`);
        const msg = thrown.message;
        const norm = normaliseMessage(msg);
        const names = [fn, ...(c.alsoNamed ?? [])];
        const named = names.some((n) => msg.includes(n));
        const mentions = c.mention.every((p) => (typeof p === "string" ? norm.includes(normaliseMessage(p)) : p.test(msg)));
        if (!named || !mentions) {
          throw new CheckFailure(`${fn}(${c.describe}) threw "${oneLine(msg, 140)}", which does not name ${named ? c.mentionText : fn}: ${hint}`);
        }
      }
    },
  };
}
