/**
 * What is wrong with a failed value check, in one plain sentence backed by evidence.
 *
 * In order:
 * 1. A named misconception (tests/grading/misconceptions/): "your softmax behaves exactly like …",
 *    only when the student's code behaves like the variant on this check AND on every value check of the exercise
 *    (same results, or the same errors). One matching output is not enough: a layer norm that
 *    hard-codes eps matches "no eps" on a check with eps = 0.5, but not on the check where eps matters.
 * 2. The exercise's probe (what its intermediates show: attention weights, per-position statistics,
 *    columns, heads), then the generic findings of probes.ts (a constant factor, permuted axes,
 *    the same values rearranged, where the differences are).
 * 3. Nothing: the check's own message ("output differs from the reference (max abs difference …)").
 *
 * A finding never claims a cause the evidence does not show; when it cannot tell, it says what
 * differs and where.
 */
import * as tf from "@tensorflow/tfjs";
import { findExercise } from "../lib/support/exercises";
import { misconceptionsFor } from "../tests/grading/misconceptions";
import { type CheckFailure, sameResult, shorten } from "./compare";
import { genericFinding } from "./probes";
import type { Check, Misconception, Sample } from "./types";
import { errorMessage, isWatchdogTimeout, restoreEngine, snapshotEngine } from "./watchdog";

/** What a probe found: `problem` is merged across tests, `detail` is this test's evidence. */
export interface Finding {
  problem: string;
  detail?: string;
}

/** Looks at a wrong result (the check already knows it differs) and says what the evidence shows, or undefined. */
export type Probe<A = unknown> = (got: unknown, expected: unknown, args: A) => Finding | undefined;

/** Per-exercise state of a grading run that the diagnosis needs (built by grade.ts). */
export interface DiagnosisContext {
  readonly exercise: string;
  /** Every check of the exercise: those with a sample are the exercise's fingerprint. */
  readonly checks: readonly Check[];
  /** The student's module, unguarded: `guard` wraps it with a fresh time budget. */
  readonly student: unknown;
  readonly reference: unknown;
  readonly guard: <M>(m: M) => M;
  /** Misconception id → whether it behaves like the student on every value check. */
  readonly memo: Map<string, boolean>;
}

type Behaviour = { value: unknown } | { error: unknown };

function behave(f: () => unknown): Behaviour {
  try {
    return { value: f() };
  } catch (e) {
    if (isWatchdogTimeout(e)) throw e;
    return { error: (e as { original?: unknown })?.original ?? e };
  }
}

/**
 * Whether the student and the variant behave alike: equal results, or errors with the same message
 * (or one the misconception recognises). `loose`: any two errors agree (on the other value checks
 * of the exercise, where a student's own input checks may word the same rejection differently).
 */
function sameBehaviour(student: Behaviour, variant: Behaviour, m: Misconception, loose = false): boolean {
  if ("error" in student || "error" in variant) {
    if (!("error" in student) || !("error" in variant)) return false;
    if (loose) return true;
    const got = errorMessage(student.error);
    const want = errorMessage(variant.error);
    return got === want || (m.errorLike !== undefined && m.errorLike(got, want));
  }
  return sameResult(student.value, variant.value);
}

function variantOf(ctx: DiagnosisContext, m: Misconception): unknown {
  return { ...(ctx.reference as object), [findExercise(ctx.exercise).fn]: m.fn };
}

/** Runs `f` in a tfjs scope of its own, so nothing it allocates outlives it. */
function scoped<T>(f: () => T): T {
  const snap = snapshotEngine();
  tf.engine().startScope();
  try {
    return f();
  } finally {
    restoreEngine(snap);
  }
}

/** Whether the variant behaves like the student's code on every value check of the exercise (memoised). */
export function fitsEveryValueCheck(ctx: DiagnosisContext, m: Misconception): boolean {
  const known = ctx.memo.get(m.id);
  if (known !== undefined) return known;
  const student = ctx.guard(ctx.student);
  const variant = variantOf(ctx, m);
  let ok = true;
  try {
    for (const c of ctx.checks) {
      const sample = c.sample as Sample<unknown, unknown> | undefined;
      if (!sample) continue;
      ok = scoped(() => {
        const args = sample.inputs();
        return sameBehaviour(behave(() => sample.call(student, args)), behave(() => sample.call(variant, args)), m, true);
      });
      if (!ok) break;
    }
  } catch (e) {
    if (!isWatchdogTimeout(e)) throw e;
    ok = false; // the student's code ran out of time: name nothing rather than guess
  }
  ctx.memo.set(m.id, ok);
  return ok;
}

/** The misconception that behaves like the student here and on every value check, if any. */
function matchMisconception(ctx: DiagnosisContext, sample: Sample<unknown, unknown>, args: unknown, student: Behaviour): Misconception | undefined {
  for (const m of misconceptionsFor(ctx.exercise)) {
    // Once a variant is known to fit every value check, any error agrees with it here too.
    const loose = ctx.memo.get(m.id) === true;
    const here = scoped(() => sameBehaviour(student, behave(() => sample.call(variantOf(ctx, m), args)), m, loose));
    if (here && fitsEveryValueCheck(ctx, m)) return m;
  }
  return undefined;
}

/** The feedback naming a misconception (the same whether the student's code returned or threw like it). */
function named(ctx: DiagnosisContext, m: Misconception): string {
  return `your ${findExercise(ctx.exercise).fn} behaves exactly like ${m.looksLike}: ${m.fix}`;
}

/** The detail of a failed judge: its own detail, or its message when it has no separate detail. */
function detailOf(failure: CheckFailure): string {
  return failure.detail ?? failure.problem;
}

/** A finding for a wrong result, or undefined to keep the check's own message. */
export function diagnoseValue(
  ctx: DiagnosisContext | undefined,
  sample: Sample<unknown, unknown>,
  args: unknown,
  got: unknown,
  expected: unknown,
  failure: CheckFailure,
  probe?: Probe<never>,
): Finding | undefined {
  if (ctx) {
    const m = matchMisconception(ctx, sample, args, { value: got });
    if (m) return { problem: named(ctx, m), detail: detailOf(failure) };
  }
  // NaN or Infinity says all there is to say: a probe comparing such numbers would only mislead.
  if (hasNonFinite(got)) return undefined;
  const found = safely(() => (probe as Probe<unknown> | undefined)?.(got, expected, args)) ?? safely(() => genericFinding(got, expected));
  return found ? { problem: found.problem, detail: found.detail ?? detailOf(failure) } : undefined;
}

/** A finding for an error the student's code threw on valid input, or undefined. */
export function diagnoseError(ctx: DiagnosisContext | undefined, sample: Sample<unknown, unknown>, args: unknown, error: unknown): Finding | undefined {
  if (!ctx) return undefined;
  const m = matchMisconception(ctx, sample, args, { error });
  if (!m) return undefined;
  return { problem: named(ctx, m), detail: `it threw the same error: ${shorten(errorMessage(error), 160)}` };
}

function hasNonFinite(x: unknown, seen = new Set<unknown>()): boolean {
  if (x instanceof tf.Tensor) return !x.isDisposed && Array.from(x.dataSync() as ArrayLike<number>).some((v) => !Number.isFinite(v));
  if (x === null || typeof x !== "object" || seen.has(x)) return false;
  seen.add(x);
  return Object.values(x).some((v) => hasNonFinite(v, seen));
}

/** Probes look at tensors a student made: whatever they trip over, the check's own message stands. */
function safely(f: () => Finding | undefined): Finding | undefined {
  try {
    return scoped(f);
  } catch {
    return undefined;
  }
}
