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
import { causesAvailable, referenceModules } from "./reference";
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
/** `retire`: the job hit a time limit inside this process, which may have cut a tfjs-wasm call short; the pool starts a new worker for the next job. */
export type FromWorker = { type: "ready"; startup: WorkerStartup } | { type: "done"; exercise: string; timing: JobTiming; retire?: boolean };

/** How long a worker took to start (tfjs, the wasm backend, the reference, the checks), for --profile. */
export interface WorkerStartup {
  wallMs: number;
  cpuSeconds: number;
}

/** Where one job's time went, for --profile (informative: no mark depends on it). */
export interface JobTiming {
  wallMs: number;
  /** This worker's CPU seconds during the job (the judge: checks, reference, comparisons). */
  judgeCpu: number;
  /** The sandbox's CPU seconds during the job, its start-ups included. */
  sandboxCpu?: number;
  /** Sandbox processes started for the job, their wall time and CPU until ready. */
  sandboxStarts?: number;
  sandboxStartMs?: number;
  sandboxStartCpu?: number;
  /** Whether the job ran in a sandbox kept from the worker's previous job. */
  reused?: boolean;
  calls?: number;
}

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

/** The reference modules by module name (solutions/, or their recorded outputs in the student edition: reference.ts). */
export function loadReferences(): Record<string, Record<string, unknown>> {
  return referenceModules();
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

/** What cause finding needs, for a submission loaded from `implDir` (undefined in the student edition, which cannot run it). */
export function causeContext(implDir: string, refs: Record<string, Record<string, unknown>>, extraDir?: string): CauseContext | undefined {
  if (!causesAvailable()) return undefined;
  return {
    student: (m) => loadedModule(implDir, m),
    reference: (m) => refs[m],
    checks: (id) => gradedChecks(id, extraDir),
    blameMemo: new Map(),
  };
}

/**
 * The sandbox of this worker's last job, kept for its next job when that grades the same
 * submission (the same run folder) and the process is as fresh as a new one (Sandbox.nextExercise):
 * most of a sandbox's cost is its start (Node, tfjs, the wasm backend) and its first calls (V8
 * compiling tfjs), so one process per worker instead of one per exercise saves most of it. A
 * crash, a restart, a timeout, a failed load or anything the sandbox noted or changed discards
 * it, so what one exercise's code does still costs only that exercise.
 */
let kept: { runDir: string; sb: Sandbox } | undefined;

function sandboxFor(runDir: string): { sb: Sandbox; reused: boolean } {
  if (kept && kept.runDir === runDir && kept.sb.nextExercise()) {
    const { sb } = kept;
    kept = undefined;
    return { sb, reused: true };
  }
  kept?.sb.stop();
  kept = undefined;
  return { sb: new Sandbox({ runDir }), reused: false };
}

/** Stops the kept sandbox (the worker's jobs are over); resolves once the process is gone (reaped, so its CPU time counts as this worker's). */
export function dropKeptSandbox(): Promise<void> {
  const sb = kept?.sb;
  kept = undefined;
  return sb ? sb.stopAndWait(2000) : Promise.resolve();
}

/** Grades one job with the submission's code in a sandbox process (a fresh one, or the worker's last one when it may be reused). */
async function gradeInSandbox(
  job: Job & { sandboxRunDir: string },
  refs: Record<string, Record<string, unknown>>,
  write: (check: Check, outcome: CheckOutcome) => void,
  timing?: Partial<JobTiming>,
): Promise<void> {
  const ex = findExercise(job.exercise);
  const checks = gradedChecks(ex.id, job.extraDir);
  const shown = `lib/${ex.module}.ts`;
  const { sb, reused } = sandboxFor(job.sandboxRunDir);
  const before = sb.stats;
  let reusable = true;
  const fail = (kind: CheckOutcome["kind"], problem: string) => {
    reusable = false;
    for (const check of checks) write(check, { passed: false, kind, feedback: problem, problem });
  };
  try {
    try {
      if (!sb.alive) sb.start();
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
      causes: causesAvailable()
        ? { student: (m) => sb.module(m), reference: (m) => refs[m], checks: (id) => gradedChecks(id, job.extraDir), blameMemo: new Map() }
        : undefined,
      onOutcome: (check, outcome) => {
        if (outcome.kind === "timeout" || outcome.kind === "crashed") reusable = false;
        write(check, outcome);
      },
    });
  } catch (e) {
    reusable = false;
    throw e;
  } finally {
    const flags = describeNotes(sb.notes);
    if (sb.restarts > 0) flags.push(`its process died during grading and was restarted ${sb.restarts} time(s) (${sb.lastCrash ?? "a crash"})`);
    if (flags.length > 0) record(job.resultsFile, { src: "flags", exercise: ex.id, flags });
    if (reusable && flags.length === 0 && sb.alive) kept = { runDir: job.sandboxRunDir, sb };
    else sb.stop();
    if (timing) {
      const after = sb.stats;
      Object.assign(timing, {
        reused,
        sandboxCpu: after.cpu - before.cpu,
        sandboxStarts: after.starts - before.starts,
        sandboxStartMs: after.startMs - before.startMs,
        sandboxStartCpu: after.startCpu - before.startCpu,
        calls: after.calls - before.calls,
      });
    }
  }
}

/**
 * Grades one job, writing a line per test to its results file; `timing` receives the sandbox's
 * figures. Resolves to true when a test of the submission's code timed out in this process (not
 * in a sandbox): the watchdog's termination can land inside a tfjs-wasm call and leave the
 * backend's memory inconsistent, so this process should not grade another exercise.
 */
export async function gradeJob(job: Job, refs: Record<string, Record<string, unknown>>, timing?: Partial<JobTiming>): Promise<boolean> {
  const ex = findExercise(job.exercise);
  if (job.sandboxRunDir) {
    record(job.resultsFile, { src: "started", exercise: ex.id });
    const sandboxed = { ...job, sandboxRunDir: job.sandboxRunDir };
    await gradeInSandbox(sandboxed, refs, (check, outcome) => record(job.resultsFile, { src: "worker", exercise: ex.id, name: check.name, ...outcome }), timing);
    return false;
  }
  void dropKeptSandbox();
  const checks = gradedChecks(ex.id, job.extraDir);
  // From here on, a dead worker is the submission's doing (the CLI tells the two apart by this line).
  record(job.resultsFile, { src: "started", exercise: ex.id });
  let timedOut = false;
  const write = (check: Check, outcome: CheckOutcome) => {
    if (outcome.kind === "timeout") timedOut = true;
    record(job.resultsFile, { src: "worker", exercise: ex.id, name: check.name, ...outcome });
  };
  const loaded = loadSubmissionModule(ex.id, job.implDir, job.guardDir, job.timeoutMs);
  if (!loaded.ok) {
    for (const check of checks) write(check, loaded.outcome);
    return timedOut;
  }
  await gradeExercise(ex.id, loaded.impl, refs[ex.module], {
    timeoutMs: job.timeoutMs,
    checks,
    causes: causeContext(job.implDir, refs, job.extraDir),
    onOutcome: write,
  });
  return timedOut;
}

async function main(): Promise<void> {
  // Stray asynchronous errors from student code (a rejected promise, a throwing timer) must not end the worker.
  process.on("uncaughtException", () => undefined);
  process.on("unhandledRejection", () => undefined);
  await setupBackend(undefined, { quiet: true });
  const refs = loadReferences();
  const send = (m: FromWorker) => process.send?.(m);
  const cpuSeconds = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  let busy = Promise.resolve();
  process.on("message", (m: ToWorker) => {
    if (m?.type !== "grade") return;
    busy = busy.then(async () => {
      const t0 = Date.now();
      const c0 = cpuSeconds();
      const timing: Partial<JobTiming> = {};
      let retire = false;
      try {
        retire = await gradeJob(m.job, refs, timing);
      } catch (e) {
        // A grader bug: the tests without a line are reported as not finished; the stack goes to the CLI's --verbose output.
        process.stderr.write(`grading worker: ${m.job.exercise} failed: ${(e as Error)?.stack ?? String(e)}\n`);
      } finally {
        send({ type: "done", exercise: m.job.exercise, timing: { ...timing, wallMs: Date.now() - t0, judgeCpu: cpuSeconds() - c0 }, ...(retire ? { retire } : {}) });
      }
    });
  });
  process.on("disconnect", () => {
    void dropKeptSandbox().finally(() => process.exit(0));
  });
  send({ type: "ready", startup: { wallMs: Math.round(process.uptime() * 1000), cpuSeconds: cpuSeconds() } });
}

if (require.main === module) void main();
