/**
 * Declares the vitest tests of one exercise. Each file in tests/grading/ is one call:
 * `defineGradedSuite("1.2")`; vitest runs each file in its own fork, so a crash in one exercise
 * cannot take the others' marks with it.
 */
import { beforeAll, test } from "vitest";
import { readGradeEnv } from "./paths";
import { gradeCheck, gradedChecks, prepare, recordOutcome, type Prepared } from "./worker";

/**
 * Registers one vitest test per check of exercise `id` (built-in checks, then extra ones), for
 * the submission described by the environment (see paths.ts).
 */
export function defineGradedSuite(id: string): void {
  const env = readGradeEnv();
  let prepared: Prepared | undefined;

  beforeAll(async () => {
    prepared = await prepare(id, env);
  }, env.timeoutMs + 60_000);

  for (const check of gradedChecks(id, env)) {
    // The vitest timeout is only a backstop for asynchronous hangs; synchronous loops are cut
    // by the watchdog after env.timeoutMs.
    test(`${check.exercise} ${check.name}`, { timeout: env.timeoutMs + 10_000 }, async ({ task }) => {
      if (!prepared) throw new Error("the grading worker did not start");
      const outcome = await gradeCheck(prepared, check, env);
      recordOutcome(env, check, outcome);
      (task.meta as Record<string, unknown>).grade = outcome;
      if (!outcome.passed) throw new Error(outcome.feedback ?? "failed");
    });
  }
}
