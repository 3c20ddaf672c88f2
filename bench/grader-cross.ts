/**
 * One share of the grader benchmark's cross product, run as its own process by bench/grader.ts
 * (`node --require grader/register.js bench/grader-cross.ts PART PARTS`): every planted file of
 * tests/fairness/ whose index is PART modulo PARTS, spliced into a correct submission and graded in
 * process on EVERY exercise (or only the ids of an optional comma-separated ONLY argument:
 * `bench/grader-cross.ts PART PARTS ONLY`). Prints one JSON line per planted file on stdout.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setupBackend } from "../lib/support/backend";
import { EXERCISES } from "../lib/support/exercises";
import { stageInProcess } from "../grader/in-process";
import { loadReferences } from "../grader/worker";
import { assembleSubmission, plantedFiles } from "../tests/fairness/planted";

export interface CrossTest {
  name: string;
  category: string;
  passed: boolean;
  points: number;
  /** Feedback of a failed test, or the note of a credited one. */
  text?: string;
}

export interface CrossResult {
  id: string;
  byExercise: Record<string, CrossTest[]>;
}

async function main(): Promise<void> {
  const [part, parts] = process.argv.slice(2, 4).map(Number);
  // An optional fifth argument: the planted ids to grade (comma-separated), as bench/grader.ts --only passes them.
  const only = process.argv[4] ? new Set(process.argv[4].split(",")) : undefined;
  await setupBackend(undefined, { quiet: true });
  const refs = loadReferences();
  const all = [...plantedFiles("mutants"), ...plantedFiles("alternatives")].filter((p) => !only || only.has(p.id));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-bench-"));
  try {
    for (const [i, p] of all.entries()) {
      if (i % parts !== part) continue;
      const sub = stageInProcess(assembleSubmission([p], path.join(tmp, p.id)), refs);
      const byExercise: Record<string, CrossTest[]> = {};
      try {
        for (const ex of EXERCISES) {
          byExercise[ex.id] = (await sub.grade(ex.id)).map((t) => ({
            name: t.check.name,
            category: t.check.category,
            passed: t.outcome.passed,
            points: t.check.points,
            text: t.outcome.passed ? t.outcome.note : t.outcome.feedback,
          }));
        }
      } finally {
        sub.close();
      }
      process.stdout.write(`${JSON.stringify({ id: p.id, byExercise } satisfies CrossResult)}\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
