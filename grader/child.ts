/**
 * Running the graded tests in a child `vitest run`, with a hard wall-clock limit.
 *
 * The child runs in its own process group so that, at the limit, the whole tree (vitest and its
 * forks) is killed at once. Whatever the outcome, the results are the JSON lines the workers and
 * the reporter appended while the run went on: tests that finished keep their marks.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { GRADE_CONFIG, gradeEnvToProcessEnv, ROOT, type GradeEnv } from "./paths";
import type { ReporterLine, ResultLine } from "./types";

export interface ChildRun {
  worker: ResultLine[];
  reporter: ReporterLine[];
  /** Exercises whose worker got as far as loading the submission (tfjs up, reference loaded). */
  started: Set<string>;
  /** Collection errors of test files (a grader problem, not a student one). */
  moduleErrors: string[];
  killedAtLimit: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function vitestBin(): string {
  const pkg = require.resolve("vitest/package.json", { paths: [ROOT] });
  return path.join(path.dirname(pkg), "vitest.mjs");
}

function readLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

/** Runs the grading child for `env` and collects its results; rejects only if it cannot start. */
export function runGradingChild(env: GradeEnv, opts: { maxTimeMs: number; verbose?: boolean }): Promise<ChildRun> {
  // Variables of an enclosing vitest (the self-tests run the CLI from inside vitest) would make
  // the child believe it is a vitest worker.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TINYPOOL)/.test(k)));
  const childEnv = { ...base, ...gradeEnvToProcessEnv(env), FORCE_COLOR: "0", NO_COLOR: "1", VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin(), "run", "--config", GRADE_CONFIG], {
      cwd: ROOT,
      env: childEnv,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (output.length < 1_000_000) output += text;
      if (opts.verbose) process.stderr.write(text);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    let killedAtLimit = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killedAtLimit = true;
      killGroup();
    }, opts.maxTimeMs);
    const onSignal = () => {
      killGroup();
      process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      // Forks of a crashed vitest may outlive it: make sure nothing of this run keeps running.
      killGroup();
      const workerLines = readLines(path.join(env.outDir, "worker.jsonl"));
      const reporterLines = readLines(path.join(env.outDir, "reporter.jsonl"));
      resolve({
        worker: workerLines.filter((l) => l.src === "worker") as unknown as ResultLine[],
        reporter: reporterLines.filter((l) => l.src === "reporter") as unknown as ReporterLine[],
        started: new Set(workerLines.filter((l) => l.src === "started").map((l) => String(l.exercise))),
        moduleErrors: reporterLines.filter((l) => l.src === "module").flatMap((l) => (l.errors as string[]) ?? []),
        killedAtLimit,
        exitCode,
        signal,
        output,
      });
    });
  });
}
