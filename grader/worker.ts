/**
 * A grading worker: a Node process started by the pool (pool.ts) that grades one exercise at a
 * time for the CLI. It sets up tfjs and loads the reference and the checks once, then for each
 * job loads the submission's modules afresh (so no exercise sees state another one left in the
 * student's modules), runs every check and appends each outcome to the job's results file as soon
 * as it is known.
 *
 * Writing the line from inside the worker, synchronously, is what keeps completed tests' marks
 * when the worker dies later (out of memory, process.exit in student code). The submission
 * arrives compiled to CommonJS by the CLI (stage.ts) and is loaded with Node's synchronous
 * require, under the watchdog: an infinite loop at the top level of a file fails its tests
 * instead of hanging the worker.
 */
import * as fs from "fs";
import * as path from "path";
import { setupBackend } from "../lib/support/backend";
import { EXERCISE_MODULES, findExercise } from "../lib/support/exercises";
import { checksFor } from "../tests/grading/checks";
import type { CauseContext } from "./cause";
import { loadExtraChecks } from "./extra";
import { guardAgainstSolutions } from "./module-hooks";
import { SOLUTIONS_DIR } from "./paths";
import { gradeExercise } from "./run-check";
import { describeNotes, Sandbox } from "./sandbox/client";
import type { Check, CheckOutcome, ResultLine } from "./types";
import { callWithTimeout, errorMessage, isWatchdogTimeout } from "./watchdog";

/** One exercise of one staged submission. */
export interface Job {
  exercise: string;
  /** Folder holding the staged <module>.js files. */
  implDir: string;
  /** Files under this folder may not import solutions/ (undefined when grading the reference). */
  guardDir?: string;
  /** Where this job's JSON lines go (one per test, plus a "started" line). */
  resultsFile: string;
  timeoutMs: number;
  /** Folder of *.checks.ts files with extra (hidden) checks. */
  extraDir?: string;
  /** Run the submission's code in a sandbox process (sandbox/client.ts) staged in this run folder, not in this worker. */
  sandboxRunDir?: string;
}

export type ToWorker = { type: "grade"; job: Job };
export type FromWorker = { type: "ready" } | { type: "done"; exercise: string };

/** Built-in checks of the exercise, then its extra checks. */
export function gradedChecks(id: string, extraDir?: string): readonly Check[] {
  const extra = extraDir ? loadExtraChecks(extraDir).filter((c) => c.exercise === id) : [];
  return [...checksFor(id), ...extra];
}

/** Appends one line (O_APPEND writes this small are atomic, so parallel workers can share a file). */
export function record(file: string, line: ResultLine | { src: "started"; exercise: string } | { src: "flags"; exercise: string; flags: string[] }): void {
  fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
}

function collapse(message: string, max = 400): string {
  const t = message.replace(/\s*\n\s*/g, " ").trim();
  if (t.length <= max) return t;
  const cut = t.lastIndexOf(" ", max);
  return `${t.slice(0, cut > max / 2 ? cut : max)} …`;
}

/** The reference modules (solutions/), by module name. */
export function loadReferences(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(EXERCISE_MODULES.map((m) => [m, require(path.join(SOLUTIONS_DIR, `${m}.ts`)) as Record<string, unknown>]));
}

/** Forgets the submission's modules loaded from `implDir` (not the kit's support code), so the next require loads them afresh. */
export function forgetSubmission(implDir: string): void {
  for (const m of EXERCISE_MODULES) delete require.cache[path.join(implDir, `${m}.js`)];
}

/** The submission's module `m` if this process has loaded it (directly or through another module's imports). */
export function loadedModule(implDir: string, m: string): Record<string, unknown> | undefined {
  const cached = require.cache[path.join(implDir, `${m}.js`)];
  return cached?.loaded ? (cached.exports as Record<string, unknown>) : undefined;
}

export type Loaded = { ok: true; impl: unknown } | { ok: false; outcome: CheckOutcome };

/** Loads the submission's module for exercise `id` afresh; a broken submission becomes an outcome, not an exception. */
export function loadSubmissionModule(id: string, implDir: string, guardDir: string | undefined, timeoutMs: number): Loaded {
  const ex = findExercise(id);
  const file = path.join(implDir, `${ex.module}.js`);
  const shown = `lib/${ex.module}.ts`;
  const fail = (kind: CheckOutcome["kind"], problem: string): Loaded => ({ ok: false, outcome: { passed: false, kind, feedback: problem, problem } });
  if (!fs.existsSync(file)) return fail("missing", `missing file: the submission has no ${ex.module}.ts (${shown})`);
  if (guardDir) guardAgainstSolutions(guardDir);
  forgetSubmission(implDir);
  try {
    return { ok: true, impl: callWithTimeout(`loading ${shown}`, () => require(file) as unknown, timeoutMs) };
  } catch (e) {
    if (isWatchdogTimeout(e)) {
      return fail("load-error", `loading ${shown} did not finish within ${timeoutMs} ms: is there an infinite loop at the top level of the file (outside any function)?`);
    }
    if (e instanceof Error && e.name === "ForbiddenImportError") return fail("forbidden", `not graded: ${e.message}`);
    return fail("load-error", `could not load ${shown}: ${collapse(errorMessage(e))}`);
  }
}

/** What cause finding needs, for a submission loaded from `implDir`. */
export function causeContext(implDir: string, refs: Record<string, Record<string, unknown>>, extraDir?: string): CauseContext {
  return {
    student: (m) => loadedModule(implDir, m),
    reference: (m) => refs[m],
    checks: (id) => gradedChecks(id, extraDir),
    blameMemo: new Map(),
  };
}

/** Grades one job with the submission's code in a sandbox process of its own. */
async function gradeInSandbox(job: Job & { sandboxRunDir: string }, refs: Record<string, Record<string, unknown>>, write: (check: Check, outcome: CheckOutcome) => void): Promise<void> {
  const ex = findExercise(job.exercise);
  const checks = gradedChecks(ex.id, job.extraDir);
  const shown = `lib/${ex.module}.ts`;
  const sb = new Sandbox({ runDir: job.sandboxRunDir });
  const fail = (kind: CheckOutcome["kind"], problem: string) => {
    for (const check of checks) write(check, { passed: false, kind, feedback: problem, problem });
  };
  try {
    try {
      sb.start();
    } catch (e) {
      // The grader's fault, not the submission's: say so in the feedback and on the tutor's terminal.
      process.stderr.write(`grading worker: the sandbox could not start: ${(e as Error).message}\n`);
      fail("grader-error", "the grader's sandbox could not start on this machine (the tutor has the details); this test was not run");
      return;
    }
    let loaded: ReturnType<Sandbox["load"]>;
    try {
      loaded = sb.load(ex.module, job.timeoutMs);
    } catch (e) {
      fail("load-error", `could not load ${shown}: ${(e as Error).message}`);
      return;
    }
    if (!loaded.ok) {
      if (loaded.timeout) fail("load-error", `loading ${shown} did not finish within ${job.timeoutMs} ms: is there an infinite loop at the top level of the file (outside any function)?`);
      else fail("load-error", `could not load ${shown}: ${collapse(errorMessage(loaded.error))}`);
      return;
    }
    await gradeExercise(ex.id, loaded.module, refs[ex.module], {
      timeoutMs: job.timeoutMs,
      checks,
      causes: { student: (m) => sb.module(m), reference: (m) => refs[m], checks: (id) => gradedChecks(id, job.extraDir), blameMemo: new Map() },
      onOutcome: write,
    });
  } finally {
    sb.stop();
    const flags = describeNotes(sb.notes);
    if (sb.restarts > 0) flags.push(`its process died during grading and was restarted ${sb.restarts} time(s) (${sb.lastCrash ?? "a crash"})`);
    if (flags.length > 0) record(job.resultsFile, { src: "flags", exercise: ex.id, flags });
  }
}

/** Grades one job, writing a line per test to its results file. */
export async function gradeJob(job: Job, refs: Record<string, Record<string, unknown>>): Promise<void> {
  const ex = findExercise(job.exercise);
  if (job.sandboxRunDir) {
    record(job.resultsFile, { src: "started", exercise: ex.id });
    const sandboxed = { ...job, sandboxRunDir: job.sandboxRunDir };
    await gradeInSandbox(sandboxed, refs, (check, outcome) => record(job.resultsFile, { src: "worker", exercise: ex.id, name: check.name, ...outcome }));
    return;
  }
  const checks = gradedChecks(ex.id, job.extraDir);
  // From here on, a dead worker is the submission's doing (the CLI tells the two apart by this line).
  record(job.resultsFile, { src: "started", exercise: ex.id });
  const write = (check: Check, outcome: CheckOutcome) => record(job.resultsFile, { src: "worker", exercise: ex.id, name: check.name, ...outcome });
  const loaded = loadSubmissionModule(ex.id, job.implDir, job.guardDir, job.timeoutMs);
  if (!loaded.ok) {
    for (const check of checks) write(check, loaded.outcome);
    return;
  }
  await gradeExercise(ex.id, loaded.impl, refs[ex.module], {
    timeoutMs: job.timeoutMs,
    checks,
    causes: causeContext(job.implDir, refs, job.extraDir),
    onOutcome: write,
  });
}

async function main(): Promise<void> {
  // Stray asynchronous errors from student code (a rejected promise, a throwing timer) must not end the worker.
  process.on("uncaughtException", () => undefined);
  process.on("unhandledRejection", () => undefined);
  await setupBackend(undefined, { quiet: true });
  const refs = loadReferences();
  const send = (m: FromWorker) => process.send?.(m);
  let busy = Promise.resolve();
  process.on("message", (m: ToWorker) => {
    if (m?.type !== "grade") return;
    busy = busy.then(async () => {
      try {
        await gradeJob(m.job, refs);
      } catch (e) {
        // A grader bug: the tests without a line are reported as not finished; the stack goes to the CLI's --verbose output.
        process.stderr.write(`grading worker: ${m.job.exercise} failed: ${(e as Error)?.stack ?? String(e)}\n`);
      } finally {
        send({ type: "done", exercise: m.job.exercise });
      }
    });
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready" });
}

if (require.main === module) void main();
