/**
 * Grading a submission folder inside the current process, exactly as a grading worker does
 * (same staging, same loading, same checks, diagnosis and cause finding), without the CLI's
 * processes: for the self-tests and the grader benchmark, which grade many planted submissions.
 */
import * as fs from "fs";
import { findExercise } from "../lib/support/exercises";
import { gradeExercise } from "./run-check";
import { newRunDir, stageImpl, type StagedRun } from "./stage";
import type { Check, CheckOutcome } from "./types";
import { causeContext, forgetSubmission, gradedChecks, loadSubmissionModule } from "./worker";

export interface GradedTest {
  check: Check;
  outcome: CheckOutcome;
}

export interface InProcessSubmission {
  staged: StagedRun;
  /** Grades exercise `id` (loading the submission's modules afresh, as a worker does). */
  grade(id: string, opts?: { timeoutMs?: number; extraDir?: string }): Promise<GradedTest[]>;
  /** Forgets the loaded modules and deletes the staging folder. */
  close(): void;
}

/**
 * Stages `impl` ("lib", "solutions" or a folder) for grading here. `refs` are the reference
 * modules by module name (the caller's own imports of solutions/).
 */
export function stageInProcess(impl: string, refs: Readonly<Record<string, Record<string, unknown>>>): InProcessSubmission {
  const runDir = newRunDir();
  const staged = stageImpl(impl, runDir);
  return {
    staged,
    async grade(id, opts = {}) {
      const ex = findExercise(id);
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const checks = gradedChecks(ex.id, opts.extraDir);
      const state = staged.modules.find((m) => m.module === ex.module);
      if (state && state.status !== "ok") {
        const outcome: CheckOutcome = { passed: false, kind: state.status === "syntax-error" ? "load-error" : state.status, feedback: state.feedback, problem: state.feedback };
        return checks.map((check) => ({ check, outcome }));
      }
      const loaded = loadSubmissionModule(ex.id, staged.implDir, staged.guardDir, timeoutMs);
      if (!loaded.ok) {
        const outcome = loaded.outcome;
        return checks.map((check) => ({ check, outcome }));
      }
      return gradeExercise(ex.id, loaded.impl, refs[ex.module], { timeoutMs, checks, causes: causeContext(staged.implDir, refs as Record<string, Record<string, unknown>>, opts.extraDir) });
    },
    close() {
      forgetSubmission(staged.implDir);
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
}
