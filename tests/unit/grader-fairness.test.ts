/**
 * The fairness suite (tests/fairness/): correct-but-different implementations must get full
 * marks, realistic mistakes must lose marks and get the feedback they record. Each planted file
 * is spliced into an otherwise correct submission and graded in process, exactly as a grading
 * worker grades it, on the exercise it touches (and the later exercises its @also tags name);
 * the whole cross product (every planted file on every exercise) is `npm run bench -- grader`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { EXERCISES, findExercise } from "../../lib/support/exercises";
import { fitsEveryValueCheck } from "../../grader/diagnose";
import { stageInProcess, type GradedTest } from "../../grader/in-process";
import { guardModule } from "../../grader/watchdog";
import { checksFor } from "../grading/checks";
import { MISCONCEPTIONS } from "../grading/misconceptions";
import { assembleSubmission, plantedFiles, type Planted } from "../fairness/planted";
import { referenceModules, type ReferenceModules } from "../reference-modules";

let REFERENCE: ReferenceModules;
const mutants = plantedFiles("mutants");
const alternatives = plantedFiles("alternatives");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-fairness-"));

beforeAll(async () => {
  REFERENCE = await referenceModules();
  await setupBackend(undefined, { quiet: true });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * The watchdog's limit per test here: generous, because this suite measures marks and feedback,
 * not speed (no planted file loops), and a slow planted file on a loaded machine must not time out
 * (one did, at 10.4 s against the grader's default 10 s).
 */
const TEST_TIMEOUT_MS = 60_000;

/** Grades `p` spliced into a correct submission, on each of `ids`. */
async function grade(p: Planted, ids: readonly string[]): Promise<Record<string, GradedTest[]>> {
  const dir = assembleSubmission([p], path.join(tmp, p.id));
  const sub = stageInProcess(dir, REFERENCE);
  try {
    const out: Record<string, GradedTest[]> = {};
    for (const id of ids) out[id] = await sub.grade(id, { timeoutMs: TEST_TIMEOUT_MS });
    return out;
  } finally {
    sub.close();
  }
}

const text = (r: GradedTest[]) => r.map((t) => `${t.check.name}: ${t.outcome.passed ? (t.outcome.note ?? "passed") : t.outcome.feedback}`).join("\n");

describe("the planted files", () => {
  it.each(EXERCISES.map((e) => [e.id] as const))("exercise %s has at least 4 mutants and a correct alternative", (id) => {
    expect(mutants.filter((m) => m.exercise === id).length).toBeGreaterThanOrEqual(4);
    expect(alternatives.filter((a) => a.exercise === id).length).toBeGreaterThanOrEqual(1);
  });

  it("plants more mistakes outside the named misconceptions than inside", () => {
    const unnamed = mutants.filter((m) => !m.misconception).length;
    expect(unnamed).toBeGreaterThan(mutants.length - unnamed);
  });

  it("plants every named misconception as a mutant, and resembles each with a correct alternative that must not trigger it", () => {
    for (const ex of EXERCISES) {
      for (const m of MISCONCEPTIONS[ex.id]) {
        expect(mutants.some((p) => p.exercise === ex.id && p.misconception === m.id), `a mutant planting ${ex.id} ${m.id}`).toBe(true);
        expect(alternatives.some((p) => p.exercise === ex.id && p.near.includes(m.id)), `an alternative near ${ex.id} ${m.id}`).toBe(true);
      }
    }
    for (const p of [...mutants, ...alternatives]) {
      for (const id of [p.misconception, ...p.near].filter((x): x is string => x !== undefined)) {
        expect(MISCONCEPTIONS[p.exercise].some((m) => m.id === id), `${p.id} names misconception ${id} of ${p.exercise}`).toBe(true);
      }
    }
  });
});

describe("correct alternatives get full marks", () => {
  it.each(alternatives.map((a) => [a.id, a] as const))("%s", async (_id, a) => {
    const graded = (await grade(a, [a.exercise]))[a.exercise];
    expect(graded.filter((t) => !t.outcome.passed || t.outcome.note).map((t) => `${t.check.name}: ${t.outcome.feedback ?? t.outcome.note}`)).toEqual([]);
    // The misconceptions it resembles do not fit it: the matcher tells them apart from this correct code.
    if (a.near.length > 0) {
      const dir = assembleSubmission([a], path.join(tmp, `${a.id}-near`));
      const sub = stageInProcess(dir, REFERENCE);
      try {
        const ex = findExercise(a.exercise);
        const student = require(path.join(sub.staged.implDir, `${ex.module}.js`)) as unknown;
        const ctx = {
          exercise: ex.id,
          checks: checksFor(ex.id),
          student,
          reference: REFERENCE[ex.module],
          guard: <M>(m: M) => guardModule(m, Date.now() + 10_000, 10_000),
          memo: new Map<string, boolean>(),
        };
        for (const id of a.near) {
          const m = MISCONCEPTIONS[ex.id].find((x) => x.id === id);
          expect(m && fitsEveryValueCheck(ctx, m), `${id} fits ${a.id}`).toBe(false);
        }
      } finally {
        sub.close();
      }
    }
  });
});

describe("mutants lose marks, with the feedback they record", () => {
  it.each(mutants.map((m) => [m.id, m] as const))("%s", async (_id, m) => {
    const ids = [m.exercise, ...Object.keys(m.also)];
    const graded = await grade(m, ids);
    const own = graded[m.exercise];
    const lost = own.filter((t) => !t.outcome.passed && (t.check.category === m.category || (m.category === "values" && t.check.category !== "errors")));
    expect(lost.length, `${m.id} loses no ${m.category} marks:\n${text(own)}`).toBeGreaterThan(0);
    const feedback = lost.map((t) => t.outcome.feedback ?? "").join("\n");
    for (const want of m.feedback) expect(feedback, `feedback of ${m.id}`).toContain(want);
    if (m.misconception) {
      const mis = MISCONCEPTIONS[m.exercise].find((x) => x.id === m.misconception);
      expect(feedback, `feedback of ${m.id}`).toContain(`behaves exactly like ${mis?.looksLike}: ${mis?.fix}`);
    }
    for (const [id, want] of Object.entries(m.also)) expect(text(graded[id]), `${m.id} on ${id}`).toContain(want);
    // A planted mistake is one detail: it never hangs (that would be a second mistake, and a watchdog stop cuts a kernel short).
    expect(Object.values(graded).flat().filter((t) => t.outcome.kind === "timeout").map((t) => t.check.name), `${m.id} timed out`).toEqual([]);
  });
});
