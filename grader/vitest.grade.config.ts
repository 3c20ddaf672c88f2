/**
 * vitest configuration of a grading run. Started by the CLI (grader/cli.ts), which passes
 * the submission and the exercises through the environment (see paths.ts); not for direct use.
 */
import * as os from "os";
import * as path from "path";
import { defineConfig } from "vitest/config";
import { EXERCISES } from "../lib/support/exercises";
import { gradingFile, readGradeEnv, ROOT } from "./paths";
import JsonlReporter from "./reporter";

const env = readGradeEnv();
const selected = EXERCISES.filter((e) => env.ids.includes(e.id));
const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;

export default defineConfig({
  root: ROOT,
  test: {
    include: selected.map((e) => path.relative(ROOT, gradingFile(e)).split(path.sep).join("/")),
    // One fork per test file (= per exercise): a crash or OOM only loses that exercise's pending tests.
    pool: "forks",
    isolate: true,
    maxWorkers: Math.max(1, Math.min(selected.length, cores)),
    // A cap on the JS heap makes a runaway allocation die quickly instead of exhausting the machine.
    execArgv: ["--max-old-space-size=2048"],
    testTimeout: env.timeoutMs + 10_000,
    hookTimeout: env.timeoutMs + 60_000,
    teardownTimeout: 5_000,
    passWithNoTests: true,
    // Stray async errors in student code must not turn into a failed *grading* run.
    dangerouslyIgnoreUnhandledErrors: true,
    reporters: [new JsonlReporter(path.join(env.outDir, "reporter.jsonl"))],
    watch: false,
  },
});
