/**
 * Builders for the kinds of graded checks every exercise uses: value comparisons with the
 * reference (with diagnosis of what is wrong), shapes and dtypes, bad-input errors, and the
 * contract every exercise function must keep (contractChecks: no leaks for every argument form
 * the docs allow, fresh results on every call, the caller's inputs and params objects left alone).
 * Each returns a plain Check object; the exercise files only supply inputs and calls.
 */
import * as tf from "@tensorflow/tfjs";
import { tensorsIn } from "./sandbox/gradient-bridge";
import { closureOf, findExercise } from "../lib/support/exercises";
import { CheckFailure, DEFAULT_TOL, describeValue, expectResultClose, fmtShape, isCheckFailure, requireLiveTensor, shorten, type Tolerance } from "./compare";
import { diagnoseError, diagnoseValue, type Probe } from "./diagnose";
import { referenceResult } from "./reference";
import type { Check, CheckContext, Sample } from "./types";
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

/** Every tensor in a value, at any depth: one walk, shared with the sandbox's gradient bridge (the two sides must agree on the order). */
export { tensorsIn };

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
   * What the evidence says about a wrong result beyond "it differs" (see diagnose.ts): tried after
   * the misconceptions, before the generic findings. Exercise files share one per exercise.
   */
  probe?: Probe<A>;
}

/**
 * A check that runs the student's function and the reference on the same inputs and judges the
 * result. When it fails (and the grader is not in quick mode), diagnose.ts looks for the
 * misconception that behaves like the student's code on every value check of the exercise, then
 * for what the intermediates show; the feedback's problem is what it found.
 */
export function valueCheck<M, A>(spec: ValueCheckSpec<M, A>): Check<M> {
  findExercise(spec.exercise); // unknown ids fail here
  const judge = spec.judge ?? ((got: unknown, expected: unknown) => expectResultClose("output", got, expected, spec.tol ?? DEFAULT_TOL));
  const sample: Sample<M, A> = { inputs: spec.inputs, call: spec.call };
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    category: "values",
    sample: sample as Sample<M>,
    run(impl: M, ref: M, ctx?: CheckContext): void {
      const args = spec.inputs();
      const expected = spec.call(ref, args);
      const before = snapshot(args);
      let got: unknown;
      try {
        got = spec.call(impl, args);
      } catch (e) {
        // A later call failing on an input an earlier call disposed: the disposal is the problem.
        if (isStudentError(e) && !isNotImplemented(e.original)) expectInputsAlive(findExercise(spec.exercise).fn, args, "during this test");
        if (isStudentError(e) && !isNotImplemented(e.original) && !ctx?.quick) {
          const found = diagnoseError(ctx?.diagnosis, sample as Sample<unknown, unknown>, args, e.original);
          if (found) throw new CheckFailure(found.problem, found.detail);
        }
        throw e;
      }
      const fn = findExercise(spec.exercise).fn;
      // A judge may read the inputs again (the mask): one the student's code disposed is the problem to report.
      expectInputsAlive(fn, args, "during this test");
      try {
        judge(got, expected, args);
      } catch (e) {
        // An input the student's code changed explains a wrong result better than any diagnosis.
        if (isCheckFailure(e)) expectUnchanged(fn, before, args, "during this test");
        if (isCheckFailure(e) && !ctx?.quick) {
          const found = diagnoseValue(ctx?.diagnosis, sample as Sample<unknown, unknown>, args, got, expected, e, spec.probe);
          if (found) throw new CheckFailure(found.problem, found.detail);
        }
        throw e;
      }
    },
  };
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
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new CheckFailure(`${what} contains NaN or Infinity (NaN/Infinity is never a correct result)`);
    }
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

// ---------------------------------------------------------------------------------------------
// The contract: leaks, fresh results, untouched inputs

/** One way of calling the function that the docs allow (e.g. each mask form), labelled for the feedback. */
export interface Form<A> {
  /** "no mask", "mask [T,T]", "padding mask [B,1,Tk]", … */
  label: string;
  inputs: () => A;
}

export interface ContractSpec<M, A> {
  exercise: string;
  call: Call<M, A>;
  /** Every argument form the docs allow; each contract check runs on each of them. */
  forms: readonly Form<A>[];
  /**
   * Points of the three contract checks. `intact` is left out only for functions that take no
   * tensors, arrays or objects (causalMask(n)).
   */
  points: { leaks: number; fresh: number; intact?: number };
}

/** Thrown by firstCall() when the first call of a form throws: that form is skipped. */
class FormSkipped extends Error {
  constructor(readonly original: unknown) {
    super("form skipped");
  }
}

/** The first call of a form: an exception here skips the form (the value checks mark it down), any later one fails the check. */
function firstCall<M, A>(call: Call<M, A>, impl: M, args: A): unknown {
  try {
    return call(impl, args);
  } catch (e) {
    if (isStudentError(e) && !isNotImplemented(e.original)) throw new FormSkipped(e);
    throw e;
  }
}

/** Runs `f` for each form; a form whose first call throws is skipped, unless every form is (then that error fails the check). */
function eachForm<A>(forms: readonly Form<A>[], f: (form: Form<A>) => void): void {
  let firstError: unknown;
  let ran = 0;
  for (const form of forms) {
    try {
      f(form);
      ran++;
    } catch (e) {
      // An exception on a form the value checks already mark down is not counted twice, unless nothing else runs.
      if (e instanceof FormSkipped) {
        firstError ??= e.original;
        continue;
      }
      throw e;
    }
  }
  if (ran === 0 && firstError !== undefined) throw firstError;
}

/** Inputs built inside a scope of their own and kept, so that nothing else the builder made stays alive. */
function keptInputs<A>(form: Form<A>): A {
  tf.engine().startScope();
  let args: A;
  try {
    args = form.inputs();
    for (const t of tensorsIn(args)) tf.keep(t);
  } finally {
    tf.engine().endScope();
  }
  return args;
}

function requireTensors(fn: string, result: unknown): tf.Tensor[] {
  const ts = tensorsIn(result);
  if (ts.length === 0) throw new CheckFailure(`${fn} returned ${describeValue(result)} instead of tensors`);
  return ts;
}

/** After a call: a disposed input explains why the next call fails, so it is reported as such. */
function expectInputsAlive(fn: string, args: unknown, form: string): void {
  const walk = (x: unknown, p: string, seen: Set<unknown>): void => {
    if (x instanceof tf.Tensor) {
      if (x.isDisposed) throw new CheckFailure(`${fn} disposed its input "${p}": the caller owns the inputs; only dispose tensors you created (tf.tidy does that for you)`, form);
      return;
    }
    if (x === null || typeof x !== "object" || seen.has(x)) return;
    seen.add(x);
    for (const [k, v] of Object.entries(x)) walk(v, p === "" ? k : Array.isArray(x) ? `${p}[${k}]` : `${p}.${k}`, seen);
  };
  walk(args, "", new Set());
}

function snapshotValues(ts: readonly tf.Tensor[]): Float32Array[] {
  return ts.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>));
}

/**
 * The three contract checks of an exercise:
 * - leaks: after a warm-up call, a call whose results are disposed leaves tf.memory().numTensors
 *   unchanged, for every form, counted outside any tfjs scope of the grader's own;
 * - fresh: two calls with the same arguments return two live, separate tensors (a cached tensor
 *   returned again fails, and so does one that a tf.tidy around an earlier call disposed);
 * - intact: after two calls with the same arguments, the arguments are unchanged: no field added
 *   to, removed from or replaced in the params objects, no tensor disposed or modified, arrays as
 *   they were, and the second call works.
 */
export function contractChecks<M, A>(spec: ContractSpec<M, A>): Check<M>[] {
  const fn = findExercise(spec.exercise).fn;
  const labels = spec.forms.map((f) => f.label).join("; ");
  const leaks: Check<M> = {
    exercise: spec.exercise,
    name: `no leaked tensors (${labels})`,
    points: spec.points.leaks,
    category: "leaks",
    contract: "leaks",
    scoped: false,
    run(impl: M): void {
      eachForm(spec.forms, (form) => {
        const args = keptInputs(form);
        const inputs = new Set(tensorsIn(args));
        const disposeResult = (r: unknown) => tf.dispose(tensorsIn(r).filter((t) => !inputs.has(t)));
        try {
          disposeResult(requireTensorsOf(firstCall(spec.call, impl, args)));
          expectInputsAlive(fn, args, form.label);
          const before = tf.memory().numTensors;
          disposeResult(spec.call(impl, args));
          const leaked = tf.memory().numTensors - before;
          if (leaked > 0) {
            throw new CheckFailure(
              `${fn} leaves tensors behind on every call: wrap the computation in tf.tidy(() => …) so intermediate tensors are freed`,
              `${leaked} tensor(s) per call with ${form.label}`,
            );
          }
        } finally {
          tf.dispose([...inputs].filter((t) => !t.isDisposed));
        }
      });
    },
  };
  function requireTensorsOf(r: unknown): unknown {
    requireTensors(fn, r);
    return r;
  }

  const fresh: Check<M> = {
    exercise: spec.exercise,
    name: "two calls with the same arguments return two live, separate results (also under the caller's tf.tidy)",
    points: spec.points.fresh,
    category: "fresh",
    contract: "fresh",
    run(impl: M): void {
      eachForm(spec.forms, (form) => {
        const args = form.inputs();
        const inputs = new Set(tensorsIn(args));
        // The first call inside the caller's tf.tidy: whatever the call keeps from it, the tidy frees.
        tf.tidy(() => {
          firstCall(spec.call, impl, args);
        });
        expectInputsAlive(fn, args, form.label);
        const again = (when: string): tf.Tensor[] => {
          let r: unknown;
          try {
            r = spec.call(impl, args);
          } catch (e) {
            if (!isStudentError(e) || isNotImplemented(e.original)) throw e;
            throw new CheckFailure(`${fn} failed on a call with the same arguments ${when}: do not keep or reuse tensors between calls`, `${form.label}: ${shorten(errorMessage(e.original), 200)}`);
          }
          const ts = requireTensors(fn, r);
          if (ts.some((t) => t.isDisposed)) {
            throw new CheckFailure(`${fn} returned a tensor that was already disposed ${when}: do not keep or reuse tensors between calls`, form.label);
          }
          return ts;
        };
        const first = again("after a call inside the caller's tf.tidy");
        if (first.some((t) => inputs.has(t))) {
          throw new CheckFailure(`${fn} returned one of its input tensors itself instead of a new tensor: the caller may dispose the result, which would dispose its input too`, form.label);
        }
        const firstValues = snapshotValues(first);
        const second = again("after an earlier call");
        if (second.some((t) => first.includes(t))) {
          throw new CheckFailure(
            `${fn} returned the same tensor object on two calls with the same arguments: the caller owns each result and may dispose it (a tf.tidy around the call does), which breaks the next call; build a new tensor on every call (a cache may return cached.clone())`,
            form.label,
          );
        }
        tf.dispose(first);
        second.forEach((t, i) => {
          if (t.isDisposed) throw new CheckFailure(`${fn}'s result was disposed when the caller disposed the result of an earlier call: do not keep or reuse tensors between calls`, form.label);
          const v = t.dataSync() as ArrayLike<number>;
          const w = firstValues[i];
          if (!w || v.length !== w.length || Array.from(v).some((x, j) => !(x === w[j] || (Number.isNaN(x) && Number.isNaN(w[j]))))) {
            throw new CheckFailure(`${fn} returned different values on two calls with the same arguments: its result must depend on its arguments only`, form.label);
          }
        });
      });
    },
  };

  const checks = [leaks, fresh];
  if (spec.points.intact !== undefined) {
    checks.push({
      exercise: spec.exercise,
      name: "inputs and params objects unchanged after two calls (nothing added, replaced, modified or disposed)",
      points: spec.points.intact,
      category: "intact",
      contract: "intact",
      run(impl: M): void {
        eachForm(spec.forms, (form) => {
          const args = form.inputs();
          const before = snapshot(args);
          // Points for leaving the inputs alone only make sense for a function that computes something.
          requireTensors(fn, firstCall(spec.call, impl, args));
          expectUnchanged(fn, before, args, form.label);
          try {
            spec.call(impl, args);
          } catch (e) {
            if (!isStudentError(e) || isNotImplemented(e.original)) throw e;
            throw new CheckFailure(
              `the second call of ${fn} with the same arguments failed although the first one worked: the first call must leave its arguments as it found them`,
              `${form.label}: ${shorten(errorMessage(e.original), 200)}`,
            );
          }
          expectUnchanged(fn, before, args, form.label);
        });
      },
    });
  }
  return checks;
}

type Snap =
  | { kind: "tensor"; ref: tf.Tensor; shape: number[]; dtype: string; data: Float32Array | Int32Array | Uint8Array | undefined }
  | { kind: "array"; ref: unknown[]; items: Snap[] }
  | { kind: "object"; ref: object; fields: Map<string, Snap> }
  | { kind: "value"; value: unknown };

/** A deep record of an argument: tensors by identity and values, arrays and objects by identity and contents. */
function snapshot(x: unknown): Snap {
  if (x instanceof tf.Tensor) {
    return { kind: "tensor", ref: x, shape: [...x.shape], dtype: x.dtype, data: x.isDisposed ? undefined : (x.dataSync() as Float32Array).slice() };
  }
  if (Array.isArray(x)) return { kind: "array", ref: x, items: x.map(snapshot) };
  if (x !== null && typeof x === "object") return { kind: "object", ref: x, fields: new Map(Object.entries(x).map(([k, v]) => [k, snapshot(v)])) };
  return { kind: "value", value: x };
}

function expectUnchanged(fn: string, before: Snap, now: unknown, form: string): void {
  const fail = (problem: string) => {
    throw new CheckFailure(problem, form);
  };
  const walk = (s: Snap, x: unknown, p: string): void => {
    const name = p === "" ? "its arguments" : `"${p}"`;
    if (s.kind === "tensor") {
      if (x !== s.ref) fail(`${fn} replaced ${name} in an object it was given: leave the caller's objects as they are (keep new values in local variables)`);
      const t = x as tf.Tensor;
      if (t.isDisposed) fail(`${fn} disposed its input ${name}: the caller owns the inputs; only dispose tensors you created (tf.tidy does that for you)`);
      const data = t.dataSync() as ArrayLike<number>;
      const old = s.data as ArrayLike<number>;
      if (t.shape.some((d, i) => d !== s.shape[i]) || data.length !== old.length || Array.from(data).some((v, i) => !(v === old[i] || (Number.isNaN(v) && Number.isNaN(old[i]))))) {
        fail(`${fn} changed the values of its input ${name}: compute new tensors instead of modifying the inputs`);
      }
      return;
    }
    if (s.kind === "array") {
      if (x !== s.ref) fail(`${fn} replaced ${name} in an object it was given: leave the caller's objects as they are (keep new values in local variables)`);
      const a = x as unknown[];
      if (a.length !== s.items.length) fail(`${fn} changed its input array ${name} (its length): copy it first`);
      s.items.forEach((item, i) => {
        if (item.kind === "value" && a[i] !== item.value) fail(`${fn} changed its input array ${name} (e.g. sorted it in place): copy it first`);
        else walk(item, a[i], `${p}[${i}]`);
      });
      return;
    }
    if (s.kind === "object") {
      if (x !== s.ref) fail(`${fn} replaced ${name} in an object it was given: leave the caller's objects as they are (keep new values in local variables)`);
      const o = x as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (!s.fields.has(k)) {
          fail(`${fn} added "${p === "" ? k : `${p}.${k}`}" to an object it was given: leave the caller's objects as they are (use a local variable, e.g. const b = params.bq ?? …)`);
        }
      }
      for (const [k, v] of s.fields) {
        if (!(k in o)) fail(`${fn} deleted "${p === "" ? k : `${p}.${k}`}" from an object it was given: leave the caller's objects as they are`);
        walk(v, o[k], p === "" ? k : `${p}.${k}`);
      }
      return;
    }
    if (x !== s.value && !(Number.isNaN(x) && Number.isNaN(s.value))) fail(`${fn} changed ${name} in an object it was given: leave the caller's objects as they are`);
  };
  walk(before, now, "");
}

// ---------------------------------------------------------------------------------------------
// Bad input

export interface BadInputCase<M> {
  /** How the call looks, for the feedback: "q [2,5,8], k [2,6,4]". */
  describe: string;
  call: (m: M) => unknown;
  /**
   * What the message must contain besides a function name: shapes as "2,5,8" (a building block may
   * report the same shape with size-1 axes added or removed, e.g. a mask [3,1,6] as [3,1,1,6] once
   * the head axis is in), or patterns.
   */
  mention: readonly (string | RegExp)[];
  /** Human wording of `mention` for the feedback. */
  mentionText: string;
}

/** Removes spaces and accepts "2x5x8" for "2,5,8", so any sensible shape formatting counts. */
function normaliseMessage(msg: string): string {
  return msg.replace(/\s+/g, "").replace(/(\d)[x×](?=\d)/g, "$1,");
}

/** The sizes of a shape other than 1: [3,1,1,6] and [3,1,6] both give "3,6". */
function nonUnit(shape: string): string {
  return shape.split(",").filter((d) => d !== "1").join(",");
}

/** Whether a normalised message mentions `shape` ("2,5,8") or the same shape with size-1 axes added or removed. */
function mentionsShape(norm: string, shape: string): boolean {
  if (norm.includes(shape)) return true;
  const want = nonUnit(shape);
  return want !== "" && (norm.match(/\d+(?:,\d+)+/g) ?? []).some((s) => nonUnit(s) === want);
}

/**
 * Bad input must raise an Error naming the function (or one of the building blocks the exercise
 * declares it uses, which may report the problem for it, naming the shapes it saw) and what is
 * wrong: a tfjs internal message ("Error in matMul: inner shapes …") names neither, so it does not count.
 */
export function badInputCheck<M>(spec: { exercise: string; name: string; points: number; cases: readonly BadInputCase<M>[] }): Check<M> {
  const ex = findExercise(spec.exercise);
  const fn = ex.fn;
  const names = [fn, ...closureOf(ex.id).map((id) => findExercise(id).fn)];
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    category: "errors",
    run(impl: M): void {
      for (const c of spec.cases) {
        let thrown: unknown;
        let threw = false;
        try {
          c.call(impl);
        } catch (e) {
          if (!isStudentError(e) || isNotImplemented(e.original)) throw e;
          threw = true;
          thrown = e.original;
        }
        const hint = `check the inputs at the start of ${fn} and throw an Error that names ${fn} and ${c.mentionText} (lib/support/checks.ts has helpers)`;
        if (!threw) throw new CheckFailure(`${fn} returned instead of throwing on bad input: ${hint}`, `${fn}(${c.describe})`);
        if (!(thrown instanceof Error)) {
          throw new CheckFailure(`${fn} threw something that is not an Error on bad input: ${hint}`, `${fn}(${c.describe}) threw ${errorName(thrown)} ${shorten(String(thrown), 100)}`);
        }
        const msg = thrown.message;
        const norm = normaliseMessage(msg);
        const named = names.some((n) => msg.includes(n));
        // A building block that rejects the input for the function reports the shapes it was given, which may have been
        // reshaped on the way (q [2,5,8] becomes [2,2,5,4] once split into heads): any shape it names counts.
        const byBlock = named && !msg.includes(fn);
        const anyShape = /\d+(?:,\d+)+/.test(norm);
        const mentions = c.mention.every((p) => (typeof p === "string" ? mentionsShape(norm, normaliseMessage(p)) || (byBlock && anyShape) : p.test(msg)));
        if (!named || !mentions) {
          throw new CheckFailure(
            `${fn}'s error on bad input does not name ${named ? c.mentionText : fn}: ${hint}`,
            `${fn}(${c.describe}) threw "${shorten(msg, 160)}"`,
          );
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Trainability

export interface GradientCheckSpec<M, A> {
  exercise: string;
  name: string;
  points: number;
  inputs: () => A;
  /** The tensors to differentiate with respect to, and their names for the feedback. */
  wrt: (args: A) => { names: string[]; tensors: tf.Tensor[] };
  /** The arguments with the differentiated tensors put back in (in wrt's order). */
  replace: (args: A, tensors: tf.Tensor[]) => A;
  call: Call<M, A>;
  /** The part of the result that is differentiated (e.g. r.output); it must be a tensor. */
  output: (result: unknown) => unknown;
  /** Seed of the fixed random direction the output is differentiated along. */
  seed: number;
}

/** Why tf.grads through the student's function failed, in words the student can act on. */
function gradientFailure(fn: string, names: readonly string[], msg: string): CheckFailure {
  const said = `tfjs said: ${shorten(msg, 200)}`;
  const op = msg.match(/gradient function not found for (\w+)/i)?.[1];
  if (/with respect to x/i.test(msg)) {
    return new CheckFailure(`tf.grads found no path from one of ${names.join(", ")} to your output: your ${fn} does not use all of them`, said);
  }
  if (op) {
    return new CheckFailure(
      `tf.grads through your ${fn} failed: tfjs has no gradient for the op ${op}, which your code (or a building block it calls) uses on the way from the inputs to the output; ` +
        "compute it from differentiable ops (e.g. a 0/1 mask multiplied in instead of a comparison of computed values)",
      said,
    );
  }
  if (/BatchMatMul/.test(msg)) {
    return new CheckFailure(
      `tf.grads through your ${fn} failed: tfjs 4.22 cannot differentiate tf.matMul when batch dims broadcast ([B, T, d]·[d, d]); project with 2-D products (reshape x to [B·T, d], multiply, reshape back)`,
      said,
    );
  }
  return new CheckFailure(`tf.grads through your ${fn} failed`, said);
}

/**
 * The notebooks train through the student's function: its gradients with respect to `wrt` must
 * exist and equal the reference's. A failing tf.grads leaves tfjs's engine mid-backprop, so the
 * engine state is restored before reporting.
 */
export function gradientCheck<M, A>(spec: GradientCheckSpec<M, A>): Check<M> {
  const fn = findExercise(spec.exercise).fn;
  return {
    exercise: spec.exercise,
    name: spec.name,
    points: spec.points,
    category: "values",
    run(impl: M, ref: M): void {
      const args = spec.inputs();
      const { names, tensors } = spec.wrt(args);
      const out = (r: unknown) => requireLiveTensor("output", r !== null && typeof r === "object" ? spec.output(r) : r);
      // The forward pass first, outside tf.grads: a wrong result is reported as such, not as a gradient problem.
      try {
        out(spec.call(impl, args));
      } catch (e) {
        if (isStudentError(e) && !isNotImplemented(e.original)) expectInputsAlive(fn, args, "during this test");
        throw e;
      }
      // The reference runs on the same inputs next: one the student's code disposed is the problem to
      // report (as the value checks do), not a failure of the grader's own call.
      expectInputsAlive(fn, args, "during this test");
      const gradsOf = (m: M) =>
        tf.tidy(() => {
          const probe = randn(out(spec.call(ref, args)).shape as number[], spec.seed);
          const f = (...ts: tf.Tensor[]) => tf.sum(tf.mul(out(spec.call(m, spec.replace(args, ts))), probe)) as tf.Scalar;
          return tf.grads(f)(tensors);
        });
      // The reference's gradients: computed in the kit, replayed from the recording in the student edition.
      const want = referenceResult(`${spec.exercise}/${spec.name}: gradients`, [args], () => gradsOf(ref));
      const snap = snapshotEngine();
      let got: tf.Tensor[];
      try {
        got = gradsOf(impl);
      } catch (e) {
        restoreEngine(snap);
        tf.dispose(want);
        const original = isStudentError(e) ? e.original : e;
        const msg = errorMessage(original);
        if (!/gradient/i.test(msg)) throw e; // the forward pass failed: reported like any other check
        throw gradientFailure(fn, names, msg);
      }
      try {
        expectResultClose(`gradient [${names.join(", ")}]`, got, want);
      } finally {
        tf.dispose([...want, ...got]);
      }
    },
  };
}
