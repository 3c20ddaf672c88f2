/**
 * Self-tests of the grader's building blocks, in process: the check tables agree with
 * EXERCISES (points, the contract checks every exercise must have, the building-block table),
 * the reference gets full marks, the comparison helpers word their feedback as promised, the
 * watchdog stops loops and leaves tfjs usable, the static solutions/ scan, and the report formats.
 * (Correct alternatives and planted mistakes: grader-fairness.test.ts.)
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { closureOf, EXERCISES, type ExerciseInfo } from "../../lib/support/exercises";
import * as attention from "../../solutions/attention";
import { CHECKS, checksFor } from "../grading/checks";
import { CheckFailure, expectTensorClose, fmtIndex, fmtNum, sameResult, shorten } from "../../grader/compare";
import { MISCONCEPTIONS } from "../grading/misconceptions";
import { guardAgainstSolutions, solutionImports } from "../../grader/module-hooks";
import { SOLUTIONS_DIR } from "../../grader/paths";
import { assembleReport, formatMarkdown, formatText, toCsv, toGradescope, type AssembleInput } from "../../grader/report";
import { runCheck } from "../../grader/run-check";
import type { Check } from "../../grader/types";
import { callWithTimeout, WatchdogTimeout } from "../../grader/watchdog";
import { referenceModules, type ReferenceModules } from "../reference-modules";

let REFERENCE: ReferenceModules;

/** Grades `impl` on every check of `ex` in process. */
/**
 * The watchdog's limit per test here: generous, since these tests judge results, not speed (the
 * reference's 2.1 once took over 5 s on a loaded CI machine). Tests of the watchdog set their own.
 */
const TEST_TIMEOUT_MS = 60_000;

async function gradeInProcess(ex: ExerciseInfo, impl: object, timeoutMs = TEST_TIMEOUT_MS) {
  const ref = REFERENCE[ex.module];
  const results = [];
  for (const check of checksFor(ex.id)) {
    results.push({ check, outcome: await runCheck(check, impl, ref, { timeoutMs }) });
  }
  return results;
}

beforeAll(async () => {
  REFERENCE = await referenceModules();
  await setupBackend(undefined, { quiet: true });
});

describe("check tables", () => {
  it.each(EXERCISES.map((e) => [e.id, e] as const))("exercise %s: checks' points add up to the exercise's points", (_id, ex) => {
    const checks = checksFor(ex.id);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.reduce((s, c) => s + c.points, 0)).toBe(ex.points);
    expect(checks.every((c) => c.exercise === ex.id && c.points > 0 && Number.isInteger(c.points))).toBe(true);
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length);
  });

  it("adds up to 545 points over all exercises", () => {
    expect(EXERCISES.reduce((s, e) => s + checksFor(e.id).reduce((t, c) => t + c.points, 0), 0)).toBe(545);
  });

  it("has checks and misconceptions for exactly the exercises in EXERCISES", () => {
    const ids = EXERCISES.map((e) => e.id).sort();
    expect(Object.keys(CHECKS).sort()).toEqual(ids);
    expect(Object.keys(MISCONCEPTIONS).sort()).toEqual(ids);
    for (const id of ids) {
      expect(MISCONCEPTIONS[id].length).toBeGreaterThan(0);
      expect(MISCONCEPTIONS[id].every((m) => m.exercise === id)).toBe(true);
      expect(new Set(MISCONCEPTIONS[id].map((m) => m.id)).size).toBe(MISCONCEPTIONS[id].length);
    }
  });

  // The contract every exercise function keeps, by construction (contractChecks in grader/builders.ts).
  it.each(EXERCISES.map((e) => [e.id, e] as const))("exercise %s has the contract checks: leaks, fresh results, untouched inputs", (_id, ex) => {
    const contract = checksFor(ex.id).map((c) => c.contract).filter((c) => c !== undefined);
    // causalMask(n) and sinusoidalPositionalEncoding(T, d) take only numbers: nothing to leave untouched.
    const takesNoObjects = ["1.3", "2.4"].includes(ex.id);
    expect(contract.sort()).toEqual(takesNoObjects ? ["fresh", "leaks"] : ["fresh", "intact", "leaks"]);
    const leaks = checksFor(ex.id).find((c) => c.contract === "leaks");
    expect(leaks?.scoped).toBe(false); // counted outside any tfjs scope of the grader's own
  });

  it.each([["1.2"], ["2.3"]])("exercise %s runs its contract checks on every mask form the docs allow", (id) => {
    const leaks = checksFor(id).find((c) => c.contract === "leaks")?.name ?? "";
    for (const form of ["no mask", "mask [T,T]", "padding mask [B,1,Tk]", "mask [B,Tq,Tk]", "per-head mask [B,h,Tq,Tk]"]) expect(leaks).toContain(form);
  });

  it("runs the layers' contract checks on every mask form they take", () => {
    const enc = checksFor("3.3").find((c) => c.contract === "leaks")?.name ?? "";
    for (const form of ["no mask", "padding mask [B,1,T]", "mask [T,T]", "mask [B,T,T]"]) expect(enc).toContain(form);
    const dec = checksFor("3.4").find((c) => c.contract === "leaks")?.name ?? "";
    for (const form of ["selfMask [T,T]", "selfMask [B,T,T]", "memoryMask [B,1,Tx]", "memoryMask [B,Ty,Tx]", "no memoryMask"]) expect(dec).toContain(form);
  });

  it("declares building blocks (uses) that exist, come earlier and form no cycle", () => {
    for (const ex of EXERCISES) {
      for (const dep of ex.uses ?? []) {
        const d = EXERCISES.findIndex((e) => e.id === dep);
        expect(d, `${ex.id} uses ${dep}`).toBeGreaterThanOrEqual(0);
        expect(d, `${ex.id} uses ${dep}, which must come earlier`).toBeLessThan(EXERCISES.indexOf(ex));
      }
      expect(() => closureOf(ex.id)).not.toThrow();
    }
    expect(closureOf("3.3")).toEqual(["0.1", "1.1", "1.2", "2.1", "2.2", "2.3", "3.1", "3.2"]);
  });
});

describe("the reference", () => {
  it.each(EXERCISES.map((e) => [e.id, e] as const))("exercise %s: the reference passes every check and leaks nothing", async (_id, ex) => {
    const before = tf.memory().numTensors;
    const results = await gradeInProcess(ex, REFERENCE[ex.module]);
    expect(results.filter((r) => !r.outcome.passed).map((r) => `${r.check.name}: ${r.outcome.feedback}`)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("gradient checks", () => {
  it("report an input the student's function disposed as such (its forward pass runs first), not as the grader failing on it", async () => {
    const check = checksFor("1.2").find((c) => c.name.includes("gradients of the output")) as Check;
    const sdpa = attention.scaledDotProductAttention;
    const disposesQ = {
      ...attention,
      scaledDotProductAttention: (...args: Parameters<typeof sdpa>) => {
        const r = sdpa(...args);
        args[0].dispose();
        return r;
      },
    };
    const outcome = await runCheck(check, disposesQ, attention, { timeoutMs: TEST_TIMEOUT_MS });
    expect(outcome).toMatchObject({ passed: false, kind: "fail" });
    expect(outcome.feedback).toContain('scaledDotProductAttention disposed its input "q"');
  });
});

describe("comparison helpers", () => {
  it("words a value difference with the index, expected and actual value, and how many entries differ", () => {
    const expected = tf.tensor3d([0.1, 0.2, 0.3, 0.52, 0.5, 0.6], [2, 3, 1]);
    const got = tf.tensor3d([0.1, 0.2, 0.3, 0.21, 0.5, 0.6], [2, 3, 1]);
    expect(() => expectTensorClose("output", got, expected)).toThrow("output differs from the reference (max abs difference 0.31 at [1,0,0]: expected 0.52, got 0.21; 1 of 6 entries differ)");
    expect(() => expectTensorClose("output", expected.clone(), expected)).not.toThrow();
  });

  it("shortens other people's messages at a sentence or word boundary, never mid-word", () => {
    const long = `${"The first sentence is here. ".repeat(8)}and then a very long tail without stops ${"word ".repeat(60)}`;
    const short = shorten(long, 120);
    expect(short.length).toBeLessThanOrEqual(122);
    expect(short).toMatch(/\. …$/);
    const noStops = shorten(`alpha ${"beta ".repeat(100)}`, 50);
    expect(noStops).toMatch(/beta …$/);
    expect(shorten("short one", 50)).toBe("short one");
  });

  it("never accepts NaN or Infinity, names shape mismatches and non-tensors", () => {
    const expected = tf.tensor1d([1, 2]);
    expect(() => expectTensorClose("weights", tf.tensor1d([1, NaN]), expected)).toThrow(/weights contains NaN \(NaN\/Infinity is never a correct result\) \(at \[1\]/);
    expect(() => expectTensorClose("weights", tf.tensor1d([Infinity, 2]), expected)).toThrow(/contains Infinity .*at \[0\]/);
    expect(() => expectTensorClose("weights", tf.tensor2d([[1, 2]]), expected)).toThrow("weights: shape [1,2], expected [2]");
    expect(() => expectTensorClose("weights", [1, 2], expected)).toThrow(/expected a tf.Tensor, got a plain array/);
    const disposed = tf.tensor1d([1, 2]);
    disposed.dispose();
    expect(() => expectTensorClose("weights", disposed, expected)).toThrow(CheckFailure);
  });

  it("matches results for diagnosis with NaN = NaN and dtype-sensitivity", () => {
    expect(sameResult(tf.tensor1d([NaN, 1]), tf.tensor1d([NaN, 1]))).toBe(true);
    expect(sameResult(tf.tensor1d([NaN, 1]), tf.tensor1d([0, 1]))).toBe(false);
    expect(sameResult(tf.tensor1d([1, 0], "bool"), tf.tensor1d([1, 0], "float32"))).toBe(false);
    expect(sameResult({ output: tf.scalar(1), weights: tf.scalar(2) }, { output: tf.scalar(1), weights: tf.scalar(2.5) })).toBe(false);
  });

  it("formats numbers and indices deterministically", () => {
    expect(fmtNum(0.31000001)).toBe("0.31");
    expect(fmtNum(1.23456e-7)).toBe("1.23e-7");
    expect(fmtNum(NaN)).toBe("NaN");
    expect(fmtIndex(5, [2, 3])).toBe("[1,2]");
  });
});

describe("watchdog", () => {
  it("stops an infinite loop inside tf.tidy and leaves the tfjs engine usable", () => {
    const before = tf.memory().numTensors;
    const spin = () =>
      tf.tidy(() => {
        tf.ones([4]);
        let i = 0;
        while (i >= 0) i = (i + 1) % 3;
        return tf.zeros([1]);
      });
    const t0 = Date.now();
    expect(() => callWithTimeout("spin", spin, 200)).toThrow(WatchdogTimeout);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(tf.memory().numTensors).toBe(before); // the abandoned scope was closed and its tensor freed
    const y = tf.tidy(() => tf.add(tf.ones([2]), 1));
    expect(Array.from(y.dataSync())).toEqual([2, 2]);
    y.dispose();
  });

  it("turns a looping student function into a timeout outcome, and the next check still runs", async () => {
    const ex = EXERCISES.find((e) => e.id === "1.3") as ExerciseInfo;
    const looping = {
      ...attention,
      causalMask: (n: number) => {
        let i = 0;
        while (i >= 0) i = (i + 1) % (n + 2);
        return attention.causalMask(n);
      },
    };
    const [first] = checksFor("1.3");
    const outcome = await runCheck(first, looping, attention, { timeoutMs: 300 });
    expect(outcome).toMatchObject({ passed: false, kind: "timeout" });
    expect(outcome.feedback).toMatch(/causalMask did not finish within 300 ms/);
    const results = await gradeInProcess(ex, attention);
    expect(results.every((r) => r.outcome.passed)).toBe(true);
  });
});

describe("solutions/ import scan", () => {
  it("finds imports, requires and dynamic imports of solutions, but not comments or plain strings", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grader-scan-"));
    const file = path.join(dir, "attention.ts");
    fs.writeFileSync(
      file,
      [
        'import * as tf from "@tensorflow/tfjs";',
        'import { softmax } from "../solutions/attention";',
        'const m = require("../../solutions/tensors");',
        "const d = import(`../solutions/${'x'}`);",
        '// import { a } from "../solutions/commented";',
        'const s = "solutions are great";',
      ].join("\n"),
    );
    const found = solutionImports(file);
    expect(found).toContain("../solutions/attention");
    expect(found).toContain("../../solutions/tensors");
    expect(found.some((f) => f.includes("import(`../solutions/"))).toBe(true);
    expect(found.some((f) => f.includes("commented"))).toBe(false);
    fs.writeFileSync(file, 'import * as tf from "@tensorflow/tfjs";\nexport const solutionsCount = 1;\n');
    expect(solutionImports(file)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses, at run time, a submission file resolving a module inside solutions/", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grader-guard-"));
    const file = path.join(dir, "sneaky.js");
    // A computed path escapes the static scan; the resolve guard still catches it.
    fs.writeFileSync(file, `module.exports = require(${JSON.stringify(SOLUTIONS_DIR)} + "/attention.ts");\n`);
    guardAgainstSolutions(dir);
    expect(() => require(file)).toThrow(/lib\/sneaky\.ts imports ".*": a submission may not import from solutions\//);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("report formats", () => {
  const ex = EXERCISES.find((e) => e.id === "1.3") as ExerciseInfo;
  const checks = checksFor("1.3");
  const lines = checks.map((c, i) =>
    i < 3
      ? { src: "worker" as const, exercise: "1.3", name: c.name, passed: false, kind: "fail" as const, problem: "output: a | b", detail: `d${i}`, feedback: `output: a | b (d${i})` }
      : i === 3
        ? { src: "worker" as const, exercise: "1.3", name: c.name, passed: true, note: "credited: because" }
        : { src: "worker" as const, exercise: "1.3", name: c.name, passed: true },
  );
  const input: AssembleInput = {
    submission: "demo",
    exercises: [ex],
    checks: () => checks,
    modules: [{ module: "attention", status: "ok" }],
    lines,
    started: new Set(["1.3"]),
    maxTimeMs: 60_000,
    jobLimitMs: () => 30_000,
    typeErrors: { byModule: { attention: ["line 3: Type 'string' is not assignable to type 'number'."] } },
    sanitize: (s) => s,
  };
  const report = assembleReport(input);

  it("scores passed checks, groups failures that share a problem into one line, keeps notes", () => {
    expect(report.max).toBe(ex.points);
    expect(report.score).toBe(ex.points - checks[0].points - checks[1].points - checks[2].points);
    const text = formatText(report);
    expect(text).toContain("  Problems:\n  - tests 1, 2 and 3: output: a | b (test 1: d0)\n");
    expect(text.split("output: a | b").length - 1).toBe(1);
    expect(text).toContain("  Notes:\n  - test 4: credited: because\n");
    expect(text).toMatch(/^ {2}1 {2}FAIL {2}0\/1 {2}values, n = 1$/m);
    expect(text).toContain("Note: lib/attention.ts has 1 TypeScript error (marks are not affected");
  });

  it("writes left-aligned Markdown tables and escapes cells", () => {
    const md = formatMarkdown(report);
    expect(md).toContain("| # | Result | Points | Test |\n|:---|:---|:---|:---|");
    expect(md).toContain("- tests 1, 2 and 3: output: a | b (test 1: d0)");
    expect(md).toContain(`**Total: ${report.score}/${report.max}**`);
  });

  it("produces Gradescope fields (each test with its own feedback or note) and a parseable CSV", () => {
    const gs = toGradescope(report) as { score: number; max_score: number; output: string; tests: Record<string, unknown>[] };
    expect(gs.score).toBe(report.score);
    expect(gs.max_score).toBe(report.max);
    expect(gs.tests[0]).toMatchObject({ score: 0, max_score: 1, status: "failed", output: "output: a | b (d0)" });
    expect(gs.tests[3]).toMatchObject({ status: "passed", output: "credited: because" });
    expect(gs.output).toContain("TypeScript error");
    const csv = toCsv([{ name: 'odd, "name"', report }], [ex]).trim().split("\n");
    expect(csv[0]).toBe("submission,1.3,total,flags");
    expect(csv[1]).toBe(`"odd, ""name""",${report.score},${report.score},`);
  });

  it("marks tests that never reported as stopped at the run's limit, an exercise's limit, or crashed", () => {
    const cut = (stopped: "run-limit" | "job-limit" | "crash") =>
      assembleReport({ ...input, lines: lines.slice(0, 2), maxTimeMs: 30_000, pool: { stopped: new Map([["1.3", stopped]]), output: "" } }).exercises[0].tests;
    expect(cut("run-limit")[2]).toMatchObject({ passed: false, kind: "crashed", feedback: "timed out / crashed: grading was stopped at its time limit (30 s) before this test finished" });
    expect(cut("job-limit")[2].feedback).toBe("timed out / crashed: grading exercise 1.3 was stopped at its time limit (30 s) before this test finished");
    expect(cut("crash")[2].feedback).toMatch(/^timed out \/ crashed: the grading process died/);
    expect(cut("crash")[3].repeated).toBe(true);
  });
});
