/**
 * Self-tests of the grader's building blocks, in process: the check tables agree with
 * EXERCISES, the reference and the correct alternatives get full marks, the comparison helpers
 * word their feedback as promised, the watchdog stops loops and leaves tfjs usable, the static
 * solutions/ scan, and the report formats.
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { EXERCISES, type ExerciseInfo } from "../../lib/support/exercises";
import * as attention from "../../solutions/attention";
import * as blocks from "../../solutions/blocks";
import * as multihead from "../../solutions/multihead";
import * as tensors from "../../solutions/tensors";
import { CHECKS, checksFor } from "../grading/checks";
import { CheckFailure, expectTensorClose, fmtIndex, fmtNum, sameResult } from "../../grader/compare";
import { ALTERNATIVES, MISCONCEPTIONS } from "../grading/misconceptions";
import { guardAgainstSolutions, solutionImports } from "../../grader/module-hooks";
import { gradingFile, GRADING_DIR, SOLUTIONS_DIR } from "../../grader/paths";
import { assembleReport, formatMarkdown, formatText, toCsv, toGradescope } from "../../grader/report";
import { runCheck } from "../../grader/run-check";
import { submissionSourceDir } from "../../grader/stage";
import { callWithTimeout, WatchdogTimeout } from "../../grader/watchdog";

const REFERENCE: Record<string, object> = { tensors, attention, multihead, blocks };

/** Grades `impl` on every check of `ex` in process. */
async function gradeInProcess(ex: ExerciseInfo, impl: object, timeoutMs = 5_000) {
  const ref = REFERENCE[ex.module];
  const results = [];
  for (const check of checksFor(ex.id)) {
    results.push({ check, outcome: await runCheck(check, impl, ref, { timeoutMs }) });
  }
  return results;
}

beforeAll(async () => {
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

  it("adds up to 205 points over all exercises", () => {
    expect(EXERCISES.reduce((s, e) => s + checksFor(e.id).reduce((t, c) => t + c.points, 0), 0)).toBe(205);
  });

  it("has checks, misconceptions and alternatives for exactly the exercises in EXERCISES", () => {
    const ids = EXERCISES.map((e) => e.id).sort();
    expect(Object.keys(CHECKS).sort()).toEqual(ids);
    expect(Object.keys(MISCONCEPTIONS).sort()).toEqual(ids);
    expect(Object.keys(ALTERNATIVES).sort()).toEqual(ids);
    for (const id of ids) {
      expect(MISCONCEPTIONS[id].length).toBeGreaterThan(0);
      expect(MISCONCEPTIONS[id].every((m) => m.exercise === id)).toBe(true);
      expect(new Set(MISCONCEPTIONS[id].map((m) => m.id)).size).toBe(MISCONCEPTIONS[id].length);
    }
  });

  it("has one grading file per exercise, each grading its own exercise, and nothing else", () => {
    const expected = EXERCISES.map((e) => path.basename(gradingFile(e))).sort();
    expect(fs.readdirSync(GRADING_DIR).filter((f) => f.endsWith(".ts")).sort()).toEqual(expected);
    for (const ex of EXERCISES) {
      expect(fs.readFileSync(gradingFile(ex), "utf8")).toContain(`defineGradedSuite("${ex.id}")`);
    }
  });

  it("keeps graded test files out of the default vitest include (tests/unit/**/*.test.ts)", () => {
    expect(fs.readdirSync(GRADING_DIR).some((f) => f.endsWith(".test.ts"))).toBe(false);
  });
});

describe("reference and correct alternatives", () => {
  it.each(EXERCISES.map((e) => [e.id, e] as const))("exercise %s: the reference passes every check and leaks nothing", async (_id, ex) => {
    const before = tf.memory().numTensors;
    const results = await gradeInProcess(ex, REFERENCE[ex.module]);
    expect(results.filter((r) => !r.outcome.passed).map((r) => `${r.check.name}: ${r.outcome.feedback}`)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  const alternatives = EXERCISES.flatMap((ex) => ALTERNATIVES[ex.id].map((a) => [`${ex.id} ${a.id}`, ex, a] as const));
  it.each(alternatives)("%s (a correct alternative) gets full marks", async (_label, ex, alt) => {
    const impl = { ...REFERENCE[ex.module], [ex.fn]: alt.fn };
    const results = await gradeInProcess(ex, impl);
    expect(results.filter((r) => !r.outcome.passed).map((r) => `${r.check.name}: ${r.outcome.feedback}`)).toEqual([]);
  });
});

describe("comparison helpers", () => {
  it("words a value difference with the index, expected and actual value", () => {
    const expected = tf.tensor3d([0.1, 0.2, 0.3, 0.52, 0.5, 0.6], [2, 3, 1]);
    const got = tf.tensor3d([0.1, 0.2, 0.3, 0.21, 0.5, 0.6], [2, 3, 1]);
    expect(() => expectTensorClose("output", got, expected)).toThrow("output: max abs difference 0.31 at [1,0,0] (expected 0.52, got 0.21)");
    expect(() => expectTensorClose("output", expected.clone(), expected)).not.toThrow();
  });

  it("never accepts NaN or Infinity, names shape mismatches and non-tensors", () => {
    const expected = tf.tensor1d([1, 2]);
    expect(() => expectTensorClose("weights", tf.tensor1d([1, NaN]), expected)).toThrow(/weights: got NaN at \[1\].*never a correct result/);
    expect(() => expectTensorClose("weights", tf.tensor1d([Infinity, 2]), expected)).toThrow(/got Infinity at \[0\]/);
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

  it("accepts a submission folder holding the modules directly or in lib/", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grader-src-"));
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib", "attention.ts"), "");
    expect(submissionSourceDir(dir)).toBe(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "tensors.ts"), "");
    expect(submissionSourceDir(dir)).toBe(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("report formats", () => {
  const ex = EXERCISES.find((e) => e.id === "1.3") as ExerciseInfo;
  const checks = checksFor("1.3");
  const child = {
    worker: checks.map((c, i) =>
      i === 0
        ? { src: "worker" as const, exercise: "1.3", name: c.name, passed: false, kind: "fail" as const, feedback: "output: a | b" }
        : { src: "worker" as const, exercise: "1.3", name: c.name, passed: i !== 1 },
    ),
    reporter: [],
    started: new Set(["1.3"]),
    moduleErrors: [],
    killedAtLimit: false,
    exitCode: 1,
    signal: null,
    output: "",
  };
  const report = assembleReport({
    submission: "demo",
    exercises: [ex],
    checks: () => checks,
    modules: [{ module: "attention", status: "ok" }],
    child,
    timeoutMs: 1000,
    maxTimeMs: 60_000,
    sanitize: (s) => s,
  });

  it("scores passed checks and keeps feedback", () => {
    expect(report.max).toBe(ex.points);
    expect(report.score).toBe(ex.points - checks[0].points - checks[1].points);
    expect(formatText(report)).toMatch(/FAIL {2}0\/1 {4}values, n = 1\n +↳ output: a \| b/);
  });

  it("escapes table cells in Markdown", () => {
    const md = formatMarkdown(report);
    expect(md).toContain("output: a \\| b");
    expect(md).toContain(`**Total: ${report.score}/${report.max}**`);
  });

  it("produces Gradescope fields and a parseable CSV", () => {
    const gs = toGradescope(report) as { score: number; max_score: number; tests: Record<string, unknown>[] };
    expect(gs.score).toBe(report.score);
    expect(gs.max_score).toBe(report.max);
    expect(gs.tests[0]).toMatchObject({ score: 0, max_score: 1, status: "failed", output: "output: a | b" });
    const csv = toCsv([{ name: 'odd, "name"', report }], [ex]).trim().split("\n");
    expect(csv[0]).toBe("submission,1.3,total");
    expect(csv[1]).toBe(`"odd, ""name""",${report.score},${report.score}`);
  });

  it("marks tests that never reported as timed out / crashed", () => {
    const r = assembleReport({
      submission: "x",
      exercises: [ex],
      checks: () => checks,
      modules: [{ module: "attention", status: "ok" }],
      child: { ...child, worker: child.worker.slice(0, 2), killedAtLimit: true },
      timeoutMs: 1000,
      maxTimeMs: 30_000,
      sanitize: (s) => s,
    });
    const t = r.exercises[0].tests[2];
    expect(t).toMatchObject({ passed: false, kind: "crashed" });
    expect(t.feedback).toMatch(/^timed out \/ crashed: grading was stopped at its time limit \(30 s\)/);
    expect(r.exercises[0].tests[3].repeated).toBe(true);
  });
});
