/**
 * The grading worker's logic (one vitest fork per exercise): load the reference and the
 * submission, run each check, and append each outcome to worker.jsonl as soon as it is known.
 *
 * Writing the line from inside the worker, synchronously, is what keeps completed tests' marks
 * when the worker dies later (out of memory, process.exit in student code): vitest batches its
 * own test reports and loses the batch with the process.
 *
 * The submission arrives already compiled to CommonJS by the CLI (stage.ts), so it is loaded
 * with Node's synchronous require, under the watchdog: an infinite loop at the top level of the
 * file fails its tests instead of hanging the worker.
 */
import * as fs from "fs";
import * as path from "path";
import { setupBackend } from "../lib/support/backend";
import { EXERCISE_MODULES, findExercise } from "../lib/support/exercises";
import { checksFor } from "../tests/grading/checks";
import { loadExtraChecks } from "./extra";
import { guardAgainstSolutions } from "./module-hooks";
import { SOLUTIONS_DIR, type GradeEnv } from "./paths";
import { runCheck } from "./run-check";
import type { Check, CheckOutcome, ResultLine } from "./types";
import { callWithTimeout, errorMessage, isWatchdogTimeout } from "./watchdog";

/** Built-in checks of the exercise, then its extra checks. */
export function gradedChecks(id: string, env: Pick<GradeEnv, "extraDir">): readonly Check[] {
  const extra = env.extraDir ? loadExtraChecks(env.extraDir).filter((c) => c.exercise === id) : [];
  return [...checksFor(id), ...extra];
}

export type Prepared =
  | { ok: true; impl: unknown; ref: unknown; deps: Readonly<Record<string, unknown>> }
  | { ok: false; outcome: CheckOutcome };

function collapse(message: string, max = 400): string {
  const t = message.replace(/\s*\n\s*/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Sets up tfjs and loads both modules; a broken submission becomes an outcome, not an exception. */
export async function prepare(id: string, env: GradeEnv): Promise<Prepared> {
  await setupBackend(undefined, { quiet: true });
  const ex = findExercise(id);
  const ref = (await import(/* @vite-ignore */ path.join(SOLUTIONS_DIR, `${ex.module}.ts`))) as unknown;
  // From here on, a dead worker is the submission's doing (the CLI tells the two apart by this line).
  record(env, { src: "started", exercise: id });
  const file = path.join(env.implDir, `${ex.module}.js`);
  const shown = `lib/${ex.module}.ts`;
  if (!fs.existsSync(file)) {
    return { ok: false, outcome: { passed: false, kind: "missing", feedback: `missing file: the submission has no ${ex.module}.ts (${shown})` } };
  }
  if (env.guardDir) guardAgainstSolutions(env.guardDir);
  try {
    const impl = callWithTimeout(`loading ${shown}`, () => require(file) as unknown, env.timeoutMs);
    return { ok: true, impl, ref, deps: loadedDeps(ex.module, env) };
  } catch (e) {
    if (isWatchdogTimeout(e)) {
      return {
        ok: false,
        outcome: { passed: false, kind: "load-error", feedback: `loading ${shown} did not finish within ${env.timeoutMs} ms: is there an infinite loop at the top level of the file (outside any function)?` },
      };
    }
    if (e instanceof Error && e.name === "ForbiddenImportError") {
      return { ok: false, outcome: { passed: false, kind: "forbidden", feedback: `not graded: ${e.message}` } };
    }
    return { ok: false, outcome: { passed: false, kind: "load-error", feedback: `could not load ${shown}: ${collapse(errorMessage(e))}` } };
  }
}

/**
 * The submission's modules that the exercise's module imported while loading (blocks imports
 * multihead, which imports attention), for the checks' CheckContext: taken from Node's require
 * cache, so a check sees exactly the instances the student's layers run, and nothing new is
 * loaded (a module with a top-level loop costs only its own exercise).
 */
function loadedDeps(module: string, env: GradeEnv): Record<string, unknown> {
  const deps: Record<string, unknown> = {};
  for (const dep of EXERCISE_MODULES) {
    if (dep === module) continue;
    const cached = require.cache[path.join(env.implDir, `${dep}.js`)];
    if (cached?.loaded) deps[dep] = cached.exports;
  }
  return deps;
}

/** Runs one check on the prepared modules; a broken submission gives its load outcome instead. */
export async function gradeCheck(prepared: Prepared, check: Check, env: GradeEnv): Promise<CheckOutcome> {
  if (!prepared.ok) return prepared.outcome;
  return runCheck(check, prepared.impl, prepared.ref, { timeoutMs: env.timeoutMs, deps: prepared.deps });
}

/** Appends one line (O_APPEND writes this small are atomic, so parallel workers can share the file). */
export function record(env: GradeEnv, line: ResultLine | { src: "started"; exercise: string }): void {
  fs.appendFileSync(path.join(env.outDir, "worker.jsonl"), `${JSON.stringify(line)}\n`);
}

/** Records a check's outcome as a ResultLine. */
export function recordOutcome(env: GradeEnv, check: Check, outcome: CheckOutcome): void {
  record(env, { src: "worker", exercise: check.exercise, name: check.name, passed: outcome.passed, kind: outcome.kind, feedback: outcome.feedback });
}
