/**
 * Running checks against one implementation, in process: one check (runCheck) or a whole
 * exercise (gradeExercise). Used by the grading workers (worker.ts) and directly by the
 * self-tests, so both see the same outcomes.
 */
import * as tf from "@tensorflow/tfjs";
import { findExercise } from "../lib/support/exercises";
import { checksFor } from "../tests/grading/checks";
import { findCause, referenceFns, type CauseContext } from "./cause";
import { isCheckFailure, shorten } from "./compare";
import { isNotImplemented } from "./builders";
import type { DiagnosisContext } from "./diagnose";
import { withSwaps } from "./swap";
import type { Check, CheckContext, CheckOutcome } from "./types";
import { guardRemote, remoteOf } from "./sandbox/client";
import { errorMessage, errorName, guardModule as guardInProcess, isStudentError, isWatchdogTimeout, restoreEngine, snapshotEngine } from "./watchdog";

/** The student's module behind the watchdog (in process) or bound to the check's deadline (in the sandbox). */
function guardModule<M>(mod: M, deadline: number, limitMs: number): M {
  return remoteOf(mod) ? guardRemote(mod, deadline, limitMs) : guardInProcess(mod, deadline, limitMs);
}

/** State shared by the checks of one exercise in one grading run. */
export interface ExerciseRun {
  /** Every check of the exercise (the diagnosis replays the value checks). */
  readonly checks: readonly Check[];
  /** Misconception fingerprints already computed (see diagnose.ts). */
  readonly memo: Map<string, boolean>;
  /** Present when the student's modules are loaded so that building blocks can be swapped (cause.ts). */
  readonly causes?: CauseContext;
}

export interface RunCheckOptions {
  /** Time budget of the whole check; every call into `impl` shares it. */
  timeoutMs: number;
  /** Shared state of the exercise's run (default: a fresh one over the exercise's checks). */
  run?: ExerciseRun;
}

/** Turns whatever a check threw into a student-facing outcome. */
export function classifyFailure(e: unknown, exercise: string): CheckOutcome {
  if (isWatchdogTimeout(e)) {
    const problem = `timed out: ${e.message}; look for a loop that never ends`;
    return { passed: false, kind: "timeout", feedback: problem, problem };
  }
  if (isStudentError(e)) {
    if (isNotImplemented(e.original)) {
      const problem = `not implemented yet: ${errorMessage(e.original)}`;
      return { passed: false, kind: "not-implemented", feedback: problem, problem };
    }
    const problem = `${e.fn} threw ${errorName(e.original)}: ${shorten(errorMessage(e.original))}`;
    return { passed: false, kind: "fail", feedback: problem, problem };
  }
  if (isCheckFailure(e)) return { passed: false, kind: "fail", feedback: e.message, problem: e.problem, detail: e.detail };
  const fn = findExercise(exercise).fn;
  const problem = `the grader could not check ${fn}'s result: ${shorten(errorMessage(e))}`;
  return { passed: false, kind: "grader-error", feedback: problem, problem };
}

/** A fresh run state for exercise `id` (no cause finding). */
export function exerciseRun(id: string, checks: readonly Check[] = checksFor(id), causes?: CauseContext): ExerciseRun {
  return { checks, memo: new Map(), causes };
}

/**
 * Runs `check` once with `impl` behind the watchdog, inside its own tfjs scope unless the check
 * counts tensors itself (check.scoped === false), and never throws.
 */
async function runOnce<M>(check: Check<M>, impl: M, ref: M, timeoutMs: number, ctx: CheckContext): Promise<CheckOutcome> {
  const deadline = Date.now() + timeoutMs;
  const guarded = guardModule(impl, deadline, timeoutMs);
  const snap = snapshotEngine();
  const scoped = check.scoped !== false;
  if (scoped) tf.engine().startScope();
  try {
    await check.run(guarded, ref, ctx);
    return { passed: true };
  } catch (e) {
    return classifyFailure(e, check.exercise);
  } finally {
    // Closes the check's scope, and any scope the student's code left open when the watchdog stopped it.
    restoreEngine(snap);
  }
}

/** Runs `check` against `impl`, with diagnosis and (when the run allows it) cause finding; never throws. */
export async function runCheck<M>(check: Check<M>, impl: M, ref: M, opts: RunCheckOptions): Promise<CheckOutcome> {
  const ex = findExercise(check.exercise);
  const exported = (impl as Record<string, unknown>)[ex.fn];
  if (typeof exported !== "function") {
    const problem = `lib/${ex.module}.ts does not export a function named ${ex.fn} (keep the name and the export)`;
    return { passed: false, kind: "fail", feedback: problem, problem };
  }
  const run = opts.run ?? exerciseRun(ex.id);
  const diagnosis: DiagnosisContext = {
    exercise: ex.id,
    checks: run.checks as readonly Check[],
    student: impl,
    reference: ref,
    guard: (m) => guardModule(m, Date.now() + opts.timeoutMs, opts.timeoutMs),
    memo: run.memo,
  };
  const outcome = await runOnce(check, impl, ref, opts.timeoutMs, { diagnosis });
  const cc = run.causes;
  if (outcome.passed || outcome.kind !== "fail" || !cc) return outcome;
  const quick = (c: Check, m: unknown, r: unknown) => runOnce(c, m, r, opts.timeoutMs, { quick: true });
  try {
    return await findCause(
      ex,
      check as Check,
      outcome,
      cc,
      (ids) => withSwaps(referenceFns(cc, ids), () => quick(check as Check, impl, ref)),
      async (c, m, r) => (await quick(c, m, r)).passed,
      (ids) => withSwaps(referenceFns(cc, ids), () => runOnce(check, impl, ref, opts.timeoutMs, { diagnosis: { ...diagnosis, memo: new Map() } })),
    );
  } catch {
    return outcome; // cause finding is an extra: whatever goes wrong there, the measured outcome stands
  }
}

/** Grades every check of exercise `id` in order, reporting each outcome as soon as it is known. */
export async function gradeExercise<M>(
  id: string,
  impl: M,
  ref: M,
  opts: { timeoutMs: number; checks?: readonly Check[]; causes?: CauseContext; onOutcome?: (check: Check, outcome: CheckOutcome) => void },
): Promise<{ check: Check; outcome: CheckOutcome }[]> {
  const checks = opts.checks ?? checksFor(id);
  const run = exerciseRun(id, checks, opts.causes);
  const out: { check: Check; outcome: CheckOutcome }[] = [];
  for (const check of checks) {
    const outcome = await runCheck(check as Check<M>, impl, ref, { timeoutMs: opts.timeoutMs, run });
    opts.onOutcome?.(check, outcome);
    out.push({ check, outcome });
  }
  return out;
}
