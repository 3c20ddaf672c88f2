/**
 * Running one check against one implementation, in process. Used by the grading workers
 * (grader/suite.ts) and directly by the self-tests, so both see the same outcomes.
 */
import * as tf from "@tensorflow/tfjs";
import { findExercise } from "../lib/support/exercises";
import { isCheckFailure, oneLine } from "./compare";
import { isNotImplemented } from "./builders";
import type { Check, CheckOutcome } from "./types";
import { errorMessage, guardModule, isStudentError, isWatchdogTimeout, restoreEngine, snapshotEngine } from "./watchdog";

export interface RunCheckOptions {
  /** Time budget of the whole check; every call into `impl` shares it. */
  timeoutMs: number;
  /** The submission's other exercise modules by name (see CheckContext); guarded like `impl`. */
  deps?: Readonly<Record<string, unknown>>;
}

/** Turns whatever a check threw into a student-facing outcome. */
export function classifyFailure(e: unknown, exercise: string): CheckOutcome {
  if (isWatchdogTimeout(e)) {
    return { passed: false, kind: "timeout", feedback: `timed out: ${e.message}; look for a loop that never ends` };
  }
  if (isStudentError(e)) {
    if (isNotImplemented(e.original)) return { passed: false, kind: "not-implemented", feedback: `not implemented yet: ${errorMessage(e.original)}` };
    return { passed: false, kind: "fail", feedback: oneLine(e.message) };
  }
  if (isCheckFailure(e)) return { passed: false, kind: "fail", feedback: oneLine(e.message, 600) };
  const fn = findExercise(exercise).fn;
  return { passed: false, kind: "grader-error", feedback: `the grader could not check ${fn}'s result: ${oneLine(errorMessage(e))}` };
}

/**
 * Runs `check` with `impl` behind the watchdog, inside its own tfjs scope (everything the check
 * and the student allocate is freed afterwards, even after a timeout), and never throws.
 */
export async function runCheck<M>(check: Check<M>, impl: M, ref: M, opts: RunCheckOptions): Promise<CheckOutcome> {
  const ex = findExercise(check.exercise);
  const exported = (impl as Record<string, unknown>)[ex.fn];
  if (typeof exported !== "function") {
    return { passed: false, kind: "fail", feedback: `lib/${ex.module}.ts does not export a function named ${ex.fn} (keep the name and the export)` };
  }
  const deadline = Date.now() + opts.timeoutMs;
  const guarded = guardModule(impl, deadline, opts.timeoutMs);
  const deps = Object.fromEntries(Object.entries(opts.deps ?? {}).map(([name, mod]) => [name, guardModule(mod, deadline, opts.timeoutMs)]));
  const snap = snapshotEngine();
  tf.engine().startScope();
  try {
    await check.run(guarded, ref, { deps });
    return { passed: true };
  } catch (e) {
    return classifyFailure(e, check.exercise);
  } finally {
    restoreEngine(snap);
  }
}
