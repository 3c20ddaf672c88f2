/**
 * End-to-end self-tests of the grader through its real CLI (`grader/cli.ts`, as run by
 * `npm run grade` and the notebooks' check cells): the reference gets full marks, the committed
 * stubs get zero, and broken submissions (infinite loop, crash, solutions/ import, a hang the
 * watchdog cannot stop, type errors) lose exactly the marks they should. Each CLI run costs seconds, so the
 * many per-misconception cases live in grader-misconceptions.test.ts instead.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { EXERCISE_MODULES, EXERCISES } from "../../lib/support/exercises";
import { checksFor } from "../grading/checks";
import { CLI, REGISTER, ROOT, SOLUTIONS_DIR } from "../../grader/paths";

const TOTAL = EXERCISES.reduce((s, e) => s + e.points, 0);
const N_TESTS = EXERCISES.reduce((s, e) => s + checksFor(e.id).length, 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-cli-"));

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCli(args: string[]): CliRun {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0" },
    timeout: 300_000,
    maxBuffer: 32 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  status: string;
  output: string;
}
interface Gradescope {
  score: number;
  max_score: number;
  output: string;
  tests: GradescopeTest[];
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function parseCsv(file: string): Record<string, string>[] {
  const [header, ...rows] = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(","));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

type Module = "attention" | "tensors" | "multihead" | "blocks";

/**
 * A submission folder: the reference with its imports pointed at ./support, then `edits` applied
 * (the notebook 00-01 modules unless `modules` says otherwise).
 */
function writeSubmission(
  dir: string,
  edits: Partial<Record<Module, [string, string][]>> & { drop?: string[]; modules?: readonly Module[] } = {},
): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const module of edits.modules ?? (["attention", "tensors"] as const)) {
    if (edits.drop?.includes(module)) continue;
    let text = fs.readFileSync(path.join(SOLUTIONS_DIR, `${module}.ts`), "utf8").split("../lib/support/").join("./support/");
    for (const [from, to] of edits[module] ?? []) {
      if (!text.includes(from)) throw new Error(`writeSubmission: "${from}" not found in ${module}.ts`);
      text = text.replace(from, to);
    }
    fs.writeFileSync(path.join(dir, `${module}.ts`), text);
  }
  return dir;
}

const CAUSAL_START = 'requireInt("causalMask", "n", n, 1);';

describe("grader CLI", () => {
  it("gives the reference full marks, with Markdown on stdout, Gradescope JSON and CSV", () => {
    const json = path.join(tmp, "ref.json");
    const csv = path.join(tmp, "ref.csv");
    const r = runCli(["--impl", "solutions", "--format", "markdown", "--json", json, "--csv", csv]);
    expect(r.status, r.stderr).toBe(0);
    // stdout is the report and nothing else: the notebooks display it as Markdown.
    expect(r.stdout.startsWith("**Graded:** solutions/ (the reference)\n")).toBe(true);
    expect(r.stdout.trimEnd().endsWith(`**Total: ${TOTAL}/${TOTAL}**`)).toBe(true);
    for (const ex of EXERCISES) expect(r.stdout).toContain(`#### ${ex.id} ${ex.title} (\`${ex.fn}\`): ${ex.points}/${ex.points}`);
    expect(r.stdout).toContain("| # | Result | Points | Test |\n|:---|:---|:---|:---|");
    expect(r.stdout).not.toContain("FAIL");

    const gs = readJson<Gradescope>(json);
    expect(gs.score).toBe(TOTAL);
    expect(gs.max_score).toBe(TOTAL);
    expect(typeof gs.output).toBe("string");
    expect(gs.tests).toHaveLength(N_TESTS);
    for (const t of gs.tests) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(["name", "score", "max_score", "status", "output"]));
      expect(t).toMatchObject({ status: "passed", output: "" });
      expect(t.score).toBe(t.max_score);
    }
    expect(gs.tests.reduce((s, t) => s + t.max_score, 0)).toBe(TOTAL);

    expect(fs.readFileSync(csv, "utf8").split("\n")[0]).toBe(`submission,${EXERCISES.map((e) => e.id).join(",")},total,flags`);
    expect(parseCsv(csv)).toEqual([{ submission: "solutions", ...Object.fromEntries(EXERCISES.map((e) => [e.id, String(e.points)])), total: String(TOTAL), flags: "" }]);
  });

  const committedLib = spawnSync("git", ["cat-file", "-e", "HEAD:lib/attention.ts"], { cwd: ROOT }).status === 0;
  it.skipIf(!committedLib)("gives the committed stubs (git archive HEAD lib) zero, naming notebook and exercise once per exercise", () => {
    const archive = spawnSync("git", ["archive", "HEAD", "lib"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    expect(archive.status).toBe(0);
    const dir = path.join(tmp, "stubs");
    fs.mkdirSync(dir);
    expect(spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout }).status).toBe(0);
    const json = path.join(tmp, "stubs.json");
    const r = runCli(["--impl", path.join(dir, "lib"), "--json", json]);
    expect(r.status, r.stderr).toBe(0);
    const gs = readJson<Gradescope>(json);
    expect(gs.score).toBe(0);
    expect(gs.max_score).toBe(TOTAL);
    for (const ex of EXERCISES) {
      const message = `not implemented yet: Exercise ${ex.id} (${ex.notebook}): implement ${ex.fn} in lib/${ex.module}.ts`;
      const tests = gs.tests.filter((t) => t.name.startsWith(`${ex.id} `));
      expect(tests.every((t) => t.status === "failed" && t.score === 0)).toBe(true);
      expect(tests[0].output).toBe(message);
      expect(r.stdout.split(message).length - 1, `${ex.id} in the text report`).toBe(1);
    }
    expect(r.stdout).toContain(`Total: 0/${TOTAL}`);
  });

  it("--help names every exercise file of the exercise table and documents the class JSON", () => {
    const r = runCli(["--help"]);
    expect(r.status).toBe(0);
    for (const m of EXERCISE_MODULES) expect(r.stdout).toContain(`${m}.ts`);
    expect(r.stdout).toMatch(/--json FILE[\s\S]*\{"submissions": \[\{"submission": ID, \.\.\.\}\]\}/);
    expect(r.stdout).toContain("--profile");
  });

  it("exits with status 2 and the usage on a bad command line", () => {
    const r = runCli(["9.9"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Unknown exercise "9.9"');
    expect(r.stderr).toContain("Usage: npm run grade");
    expect(r.stdout).toBe("");
  });
});

describe("grader CLI with broken submissions", () => {
  it("grades a folder of submissions: infinite loop, crash, solutions/ import; plus extra tests", () => {
    const subs = path.join(tmp, "subs");
    writeSubmission(path.join(subs, "loop"), { attention: [[CAUSAL_START, `${CAUSAL_START}\n  if (n === 7) { let i = 0; while (i >= 0) i = (i + 1) % 7; }`]] });
    writeSubmission(path.join(subs, "crash"), { attention: [[CAUSAL_START, `${CAUSAL_START}\n  if (n === 7) process.kill(process.pid, "SIGKILL");`]] });
    writeSubmission(path.join(subs, "cheat"), { attention: [['import * as tf from "@tensorflow/tfjs";', 'import * as tf from "@tensorflow/tfjs";\nimport { causalMask as ref } from "../../solutions/attention";']] });
    // A submission's own support/ must be ignored: were this file used, tensors.ts could not load.
    fs.mkdirSync(path.join(subs, "cheat", "support"));
    fs.writeFileSync(path.join(subs, "cheat", "support", "checks.ts"), 'throw new Error("tampered support code");\n');
    const extra = path.join(tmp, "extra");
    fs.mkdirSync(extra);
    fs.writeFileSync(
      path.join(extra, "softmax.checks.ts"),
      [
        'import * as tf from "@tensorflow/tfjs";',
        'import { valueCheck } from "attention-lab/grader/builders";',
        'import type { AttentionModule } from "attention-lab/grader/types";',
        "export const checks = [",
        '  valueCheck<AttentionModule, { x: tf.Tensor }>({ exercise: "1.1", name: "values, [1,9]", points: 2,',
        '    inputs: () => ({ x: tf.randomNormal([1, 9], 0, 3, "float32", 77) }), call: (m, a) => m.softmax(a.x) }),',
        "];",
      ].join("\n"),
    );
    const json = path.join(tmp, "subs.json");
    const csv = path.join(tmp, "subs.csv");
    const out = path.join(tmp, "subs-out");
    const r = runCli(["--submissions", subs, "--timeout", "4000", "--csv", csv, "--json", json, "--out", out, "--extra-tests", extra]);
    expect(r.status, r.stderr).toBe(0);

    const rows = Object.fromEntries(parseCsv(csv).map((row) => [row.submission, row]));
    expect(Object.keys(rows).sort()).toEqual(["cheat", "crash", "loop"]);
    for (const name of ["loop", "crash"]) {
      // Only causalMask is broken: every other exercise keeps its full marks (1.1 has 2 extra points).
      expect(rows[name]).toMatchObject({ "0.1": "10", "1.1": "22", "1.2": "40", "1.4": "10" });
    }
    expect(rows.loop["1.3"]).toBe("8"); // only "values, n = 7" (2 points) is lost
    expect(rows.crash["1.3"]).toBe("8"); // the sandbox refused process.kill at n = 7: only that test is lost
    expect(rows.cheat).toMatchObject({ "0.1": "10", "1.1": "0", "1.2": "0", "1.3": "0", "1.4": "0", total: "10" });

    const all = readJson<{ submissions: (Gradescope & { submission: string; execution_time: number })[] }>(json).submissions;
    // The class file holds, for each student in id order, exactly the results.json --out wrote for them.
    expect(all.map((s) => s.submission)).toEqual(["cheat", "crash", "loop"]);
    for (const { submission, ...entry } of all) {
      expect(entry).toEqual(readJson(path.join(out, submission, "results.json")));
      expect(Number.isInteger(entry.execution_time)).toBe(true);
    }
    const test = (sub: string, name: string) => {
      const t = all.find((s) => s.submission === sub)?.tests.find((x) => x.name === name);
      if (!t) throw new Error(`no test "${name}" for ${sub}`);
      return t;
    };
    expect(test("loop", "1.3 causalMask: values, n = 4").status).toBe("passed");
    expect(test("loop", "1.3 causalMask: values, n = 7").output).toMatch(/^timed out: causalMask did not finish within 4000 ms/);
    expect(test("loop", "1.3 causalMask: values, n = 64").status).toBe("passed"); // the next test runs normally
    // The sandbox refuses the kill at n = 7: tests before and after keep their marks.
    expect(test("crash", "1.3 causalMask: values, n = 4").status).toBe("passed");
    expect(test("crash", "1.3 causalMask: values, n = 7").output).toMatch(/^causalMask threw Error: process\.kill is not allowed while grading/);
    expect(test("crash", "1.3 causalMask: values, n = 64").status).toBe("passed");
    expect(test("cheat", "1.1 softmax: values, [4,7], default axis").output).toMatch(/imports "..\/..\/solutions\/attention"; a submission may not import from solutions\//);
    expect(test("loop", "1.1 softmax: extra: values, [1,9]")).toMatchObject({ status: "passed", max_score: 2 });
  });

  it("stages lib/blocks.ts with the multihead and attention it imports; a wrong multiHeadAttention costs 2.3's marks, not 3.3's", () => {
    const dir = writeSubmission(path.join(tmp, "no-wo"), {
      modules: ["tensors", "attention", "multihead", "blocks"],
      multihead: [["return { output: linear(mergeHeads(output), params.wo, params.bo), weights };", "return { output: mergeHeads(output), weights };"]],
    });
    const json = path.join(tmp, "no-wo.json");
    const classroom = path.join(tmp, "no-wo.classroom.json");
    const r = runCli(["2.3", "3.3", "--impl", dir, "--json", json, "--classroom", classroom]);
    expect(r.status, r.stderr).toBe(0);
    const gs = readJson<Gradescope>(json);
    const enc = gs.tests.filter((t) => t.name.startsWith("3.3 "));
    const values = enc.filter((t) => / values, /.test(t.name));
    expect(values.length).toBe(3);
    // No double jeopardy: the encoder layer is right given a right multiHeadAttention, so it keeps its marks, with a note.
    for (const t of values) {
      expect(t.status).toBe("passed");
      expect(t.output).toBe("your encoderLayer is right here; the difference comes from your 2.3 multiHeadAttention — fix 2.3 first (credited here: 2.3 loses its own marks)");
    }
    expect(enc.every((t) => t.status === "passed")).toBe(true);
    expect(gs.tests.filter((t) => t.name.startsWith("2.3 ") && t.status === "failed").length).toBeGreaterThan(5);
    expect(r.stdout).toMatch(/3\.3 Encoder layer \(encoderLayer in lib\/blocks\.ts\): 20\/20\n(.*\n)*  Notes:\n  - tests 1, 2 and 3: your encoderLayer is right here/);

    // The same marks for GitHub Classroom's reporter: one test per exercise, in points.
    const cr = readJson<{ version: number; status: string; max_score: number; tests: { name: string; status: string; score: number; max_score: number; message: string }[] }>(classroom);
    expect(cr).toMatchObject({ version: 1, status: "fail", max_score: 50 });
    expect(cr.tests.map((t) => [t.name, t.status, t.max_score])).toEqual([
      ["2.3 multiHeadAttention (lib/multihead.ts)", "fail", 30],
      ["3.3 encoderLayer (lib/blocks.ts)", "pass", 20],
    ]);
    expect(cr.tests.reduce((s, t) => s + t.score, 0)).toBe(gs.score);
    expect(cr.tests[0].score).toBe(gs.tests.filter((t) => t.name.startsWith("2.3 ")).reduce((s, t) => s + t.score, 0));
    expect(cr.tests[0].score).toBeLessThan(30);
    expect(cr.tests[0].message).toMatch(/^\d+\/30\ntests? [\d, and]+: /);
    expect(cr.tests[1].message).toMatch(/^20\/20\nnote: tests 1, 2 and 3: your encoderLayer is right here/);
  });

  it("retires a grading worker whose exercise timed out in process, so the next exercise gets a fresh one", () => {
    const dir = writeSubmission(path.join(tmp, "loop-in-process"), { attention: [[CAUSAL_START, `${CAUSAL_START}\n  if (n === 7) for (;;);`]] });
    const json = path.join(tmp, "loop-in-process.json");
    const r = runCli(["1.3", "1.4", "--impl", dir, "--no-sandbox", "--jobs", "1", "--timeout", "2000", "--no-typecheck", "--profile", "--json", json]);
    expect(r.status, r.stderr).toBe(0);
    const gs = readJson<Gradescope>(json);
    const lost = gs.tests.filter((t) => t.status === "failed");
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((t) => t.name.startsWith("1.3 ") && /did not finish within 2000 ms/.test(t.output))).toBe(true);
    expect(gs.tests.filter((t) => t.name.startsWith("1.4 ")).every((t) => t.status === "passed")).toBe(true);
    // One worker at a time: the first graded 1.3 and retired after its timeout, a second one graded 1.4.
    expect(r.stderr).toMatch(/grading workers\s+2 started/);
  });

  it("reports the type errors of a submission's files as a note, without changing its marks", () => {
    const dir = writeSubmission(path.join(tmp, "typed"), {
      attention: [['export function causalMask(n: number): tf.Tensor2D {', 'export function causalMask(n: number): tf.Tensor2D {\n  const unused: number = "not a number";']],
    });
    const json = path.join(tmp, "typed.json");
    const classroom = path.join(tmp, "typed.classroom.json");
    const r = runCli(["1.3", "--impl", dir, "--json", json, "--classroom", classroom]);
    expect(r.status, r.stderr).toBe(0);
    const gs = readJson<Gradescope>(json);
    expect(gs.score).toBe(10);
    const note = /Note: lib\/attention\.ts has 1 TypeScript error \(marks are not affected, but the notebook refuses to run the file until they are fixed; `npx tsc -p \.` lists them\): line \d+: Type 'string' is not assignable to type 'number'\./;
    expect(r.stdout).toMatch(note);
    expect(gs.output).toMatch(note);
    const cr = readJson<{ status: string; tests: { score: number; message: string }[] }>(classroom);
    expect(cr.status).toBe("pass");
    expect(cr.tests).toHaveLength(1);
    expect(cr.tests[0].score).toBe(10);
    expect(cr.tests[0].message).toMatch(new RegExp(`^10/10\n${note.source}`));
  });

  // In the sandbox a child process is refused outright; this is the in-process path (a student grading their own lib/).
  it("stops a hang the watchdog cannot interrupt at the hard time limit (in process); finished tests keep their marks", () => {
    const dir = writeSubmission(path.join(tmp, "hang"), {
      attention: [[CAUSAL_START, `${CAUSAL_START}\n  if (n === 7) require("child_process").execSync("sleep 120");`]],
    });
    const json = path.join(tmp, "hang.json");
    const r = runCli(["1.3", "--impl", dir, "--no-sandbox", "--max-time", "15000", "--json", json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.ms).toBeLessThan(60_000);
    const gs = readJson<Gradescope>(json);
    const byName = Object.fromEntries(gs.tests.map((t) => [t.name.replace(/^1\.3 causalMask: /, ""), t]));
    expect(byName["values, n = 1"].status).toBe("passed");
    expect(byName["values, n = 4"].status).toBe("passed");
    expect(byName["values, n = 7"].output).toBe("timed out / crashed: grading was stopped at its time limit (15 s) before this test finished");
    expect(gs.score).toBe(3);
  });
});
