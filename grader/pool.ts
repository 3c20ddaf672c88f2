/**
 * A small pool of grading worker processes (worker.ts), at most one per core: the CLI hands it
 * one job per exercise, each worker grades one job at a time, and whatever happens to a worker,
 * the results are the JSON lines its jobs appended: tests that finished keep their marks.
 *
 * Why a pool and not one process per exercise: starting a process that loads tfjs, the
 * reference and the checks costs about a second of CPU; with thirteen exercises on a 2-core
 * machine that start-up was most of the grading time. Each job still loads the submission's
 * modules afresh. `isolate` gives every job a new process instead (slower; nothing one exercise's
 * code does can touch another's grading).
 *
 * Limits: each job has its own time limit (a hang the watchdog cannot stop, such as a blocking
 * system call, costs only that exercise); the whole run has a hard limit too. Workers run in
 * process groups of their own, so a kill takes anything they started with them.
 */
import { fork, type ChildProcess } from "child_process";
import * as os from "os";
import * as path from "path";
import type { FromWorker, Job, JobTiming, ToWorker, WorkerStartup } from "./worker";

export interface PoolOptions {
  /** Parallel workers (default: one per core, at most one per job). */
  workers?: number;
  /** Hard limit of the whole run. */
  maxTimeMs: number;
  /** Time limit of one job. */
  jobLimitMs: (job: Job) => number;
  /** A new worker process for every job. */
  isolate?: boolean;
  /** Copy the workers' output to stderr. */
  verbose?: boolean;
}

/** How a job ended when it did not report "done". */
export type Stopped = "job-limit" | "run-limit" | "crash";

export interface PoolRun {
  /** Jobs (by exercise) that ended without finishing, and why. */
  stopped: Map<string, Stopped>;
  /** The workers' own output (stdout and stderr), for diagnosing the grader itself. */
  output: string;
  /** Set when no worker could start: the grader, not the submission, is broken. */
  startError?: string;
  /** Where the time went (--profile): each worker's start-up, each finished job's figures. */
  profile?: { workers: WorkerStartup[]; jobs: (JobTiming & { exercise: string })[] };
}

const WORKER = path.join(__dirname, "worker.ts");
const REGISTER = path.join(__dirname, "register.js");

export function defaultWorkers(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Runs every job; resolves when each has finished or been stopped, with every worker gone. */
export function runPool(jobs: readonly Job[], opts: PoolOptions): Promise<PoolRun> {
  const queue = [...jobs];
  const stopped = new Map<string, Stopped>();
  const nWorkers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), jobs.length));
  let output = "";
  let ranAny = false;
  let startFailures = 0;
  let finishedRun = false;
  const live = new Set<ChildProcess>();
  const profile: NonNullable<PoolRun["profile"]> = { workers: [], jobs: [] };

  return new Promise((resolve) => {
    if (jobs.length === 0) {
      resolve({ stopped, output, profile });
      return;
    }
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (output.length < 1_000_000) output += text;
      if (opts.verbose) process.stderr.write(text);
    };
    const finish = (startError?: string) => {
      if (finishedRun) return;
      finishedRun = true;
      clearTimeout(runTimer);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      for (const c of live) killGroup(c);
      resolve({ stopped, output, startError, profile });
    };
    const maybeDone = () => {
      if (queue.length === 0 && live.size === 0) finish();
    };
    const runTimer = setTimeout(() => {
      for (const job of queue.splice(0)) stopped.set(job.exercise, "run-limit");
      for (const c of [...live]) {
        (c as ChildProcess & { stopReason?: Stopped }).stopReason = "run-limit";
        killGroup(c);
      }
    }, opts.maxTimeMs);
    const onSignal = () => {
      for (const c of live) killGroup(c);
      process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);

    const spawnWorker = () => {
      const child = fork(WORKER, [], {
        execArgv: ["--require", REGISTER, "--max-old-space-size=2048"],
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        detached: true,
        serialization: "json",
      }) as ChildProcess & { stopReason?: Stopped };
      live.add(child);
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);
      let current: Job | undefined;
      let jobTimer: NodeJS.Timeout | undefined;
      let ready = false;
      const next = () => {
        current = queue.shift();
        if (!current) {
          // The worker exits on disconnect once its sandbox is gone (so the sandbox's CPU time is
          // counted); the group is killed when it has, or after a grace period if it has not.
          child.disconnect?.();
          const grace = setTimeout(() => killGroup(child), 3000);
          child.once("exit", () => {
            clearTimeout(grace);
            killGroup(child);
          });
          return;
        }
        const job = current;
        jobTimer = setTimeout(() => {
          child.stopReason = "job-limit";
          killGroup(child);
        }, opts.jobLimitMs(job));
        child.send({ type: "grade", job } satisfies ToWorker);
      };
      child.on("message", (m: FromWorker) => {
        if (m?.type === "ready" && !ready) {
          ready = true;
          if (m.startup) profile.workers.push(m.startup);
          ranAny = true;
          next();
        } else if (m?.type === "done" && current && m.exercise === current.exercise) {
          clearTimeout(jobTimer);
          if (m.timing) profile.jobs.push({ ...m.timing, exercise: m.exercise });
          current = undefined;
          if (opts.isolate || m.retire) {
            child.disconnect?.();
            killGroup(child);
          } else next();
        }
      });
      child.on("exit", () => {
        clearTimeout(jobTimer);
        live.delete(child);
        if (current) stopped.set(current.exercise, child.stopReason ?? "crash");
        if (!ready) startFailures++;
        if (!ranAny && startFailures >= 2) {
          for (const job of queue.splice(0)) stopped.set(job.exercise, "crash");
          finish(`no grading worker could start:\n${output.slice(-4000)}`);
          return;
        }
        if (queue.length > 0 && child.stopReason !== "run-limit" && live.size < nWorkers) spawnWorker();
        maybeDone();
      });
      child.on("error", () => undefined); // 'exit' follows
    };
    for (let i = 0; i < nWorkers; i++) spawnWorker();
  });
}
