/**
 * The sandbox (grader/sandbox/) against planted hostile submissions, graded together in one
 * `--submissions` batch through the real CLI: every gradebook row is checked, and so is what the
 * submissions tried to do outside their workspace (files written, shell commands run).
 *
 * Each submission is the reference with softmax (1.1) or causalMask (1.3) changed; only those
 * two exercises are graded, to keep the run short. The sandbox is the default for submissions.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, REGISTER, ROOT, SOLUTIONS_DIR } from "../../grader/paths";
import { assembleSubmission, plantedFiles } from "../fairness/planted";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-sandbox-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SOFTMAX_START = 'export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {';
const CAUSAL_START = 'requireInt("causalMask", "n", n, 1);';
/** From the staged lib/attention.js (out/grading/<run>/lib/) back to the kit's root, computed at run time. */
const KIT = 'require("path").resolve(__dirname, "..", "..", "..", "..")';
const marker = path.join(tmp, "pwned-by-shell");
const forged = path.join(tmp, "forged-results.json");

function submission(name: string, edits: [string, string][], extra?: (dir: string) => void): void {
  const dir = path.join(tmp, "subs", name);
  fs.mkdirSync(dir, { recursive: true });
  let text = fs.readFileSync(path.join(SOLUTIONS_DIR, "attention.ts"), "utf8").split("../lib/support/").join("./support/");
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`submission ${name}: "${from}" not found`);
    text = text.replace(from, to);
  }
  fs.writeFileSync(path.join(dir, "attention.ts"), text);
  extra?.(dir);
}

/** softmax replaced by a body of our own (the reference's is kept but no longer reached). */
const softmaxBody = (body: string): [string, string] => [SOFTMAX_START, `${SOFTMAX_START}\n  ${body}`];

describe("the sandbox against hostile submissions", () => {
  it("grades or flags every attack, costing only the exercise (or test) it touches", () => {
    submission("good", []);
    // Reads the reference with fs (then evaluates it), and through createRequire from outside the guarded folder: refused, reported, never graded as correct.
    submission("reads-reference", [
      softmaxBody(
        `try { return require("module").createRequire("/")(require("path").join(${KIT}, "solutions", "attention.ts")).softmax(x, axis); } catch {} ` +
          `const src = require("fs").readFileSync(require("path").join(${KIT}, "solutions", "attention.ts"), "utf8"); return (0, eval)(src) as never;`,
      ),
    ]);
    // A symbolic link into solutions/.
    submission("symlink", [], (dir) => {
      fs.rmSync(path.join(dir, "attention.ts"));
      fs.symlinkSync(path.join(SOLUTIONS_DIR, "attention.ts"), path.join(dir, "attention.ts"));
    });
    // A wrong softmax that patches what a judge in the same process would compare with, writes forged results where the tutor looks, and runs a shell command.
    submission("patches-forges", [
      softmaxBody(
        'Math.abs = () => 0; Number.isFinite = () => true; (Float32Array.prototype as any).every = () => true; (tf.Tensor.prototype as any).dataSync = function () { return new Float32Array(1e6); }; ' +
          `try { require("fs").writeFileSync(${JSON.stringify(forged)}, '{"score": 999}'); } catch {} try { require("child_process").execSync("touch ${marker}"); } catch {} return tf.clone(x);`,
      ),
    ]);
    // causalMask: process.exit and kills (itself, the grader) at n = 7, a 3.2 GB typed array (outside the JS heap) at n = 64;
    // softmax: a timer loop started at import, and a thrown object whose toString never returns for 3-D inputs.
    submission("exits-memory-timer-throw", [
      [CAUSAL_START, `${CAUSAL_START}\n  if (n === 7) { try { process.kill(process.ppid, "SIGKILL"); } catch {} try { process.exit(0); } catch {} process.kill(process.pid, "SIGKILL"); }\n  if (n === 64) { const big = new Float64Array(4e8); big.fill(1); }`],
      [SOFTMAX_START, `setInterval(() => { for (;;); }, 1);\n${SOFTMAX_START}\n  if (x.rank === 3) throw { toString() { for (;;); } };`],
    ]);

    const out = path.join(tmp, "gradebook.csv");
    const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, "1.1", "1.3", "--submissions", path.join(tmp, "subs"), "--timeout", "4000", "--csv", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
      timeout: 300_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    expect(r.status, r.stderr).toBe(0);
    const [header, ...lines] = fs.readFileSync(out, "utf8").trim().split("\n");
    expect(header).toBe("submission,1.1,1.3,total,flags");
    const rows = Object.fromEntries(
      lines.map((l) => {
        const [name, a, b, total, ...flags] = l.split(",");
        return [name, { "1.1": Number(a), "1.3": Number(b), total: Number(total), flags: flags.join(",") }];
      }),
    );
    expect(Object.keys(rows).sort()).toEqual(["exits-memory-timer-throw", "good", "patches-forges", "reads-reference", "symlink"]);
    expect(rows.good).toMatchObject({ "1.1": 20, "1.3": 10, flags: "" });
    // softmax's value tests fail (the reads were refused): at most its input-check and contract points remain; causalMask is untouched.
    expect(rows["reads-reference"]["1.1"]).toBeLessThanOrEqual(4);
    expect(rows["reads-reference"]["1.3"]).toBe(10);
    expect(rows["reads-reference"].flags).toMatch(/solutions\/attention\.ts \(refused: reading the reference is not allowed\)/);
    expect(rows.symlink).toMatchObject({ "1.1": 0, "1.3": 0 });
    expect(r.stdout).toMatch(/not graded: lib\/attention\.ts is a symbolic link/);
    // A wrong softmax stays wrong whatever it patches (in its own process only); patching, writing and the shell are flagged and had no effect.
    expect(rows["patches-forges"]["1.1"]).toBeLessThanOrEqual(4);
    expect(rows["patches-forges"]["1.3"]).toBe(10);
    expect(rows["patches-forges"].flags).toMatch(/replaced built-in or library functions: .*Math\.abs/);
    expect(rows["patches-forges"].flags).toMatch(/FileSystemWrite.*refused/);
    expect(rows["patches-forges"].flags).toMatch(/ChildProcess.*refused/);
    expect(fs.existsSync(forged)).toBe(false);
    expect(fs.existsSync(marker)).toBe(false);
    // Exiting or killing costs the test at n = 7 (2 points), the allocation fails inside the limit at n = 64 (1 point);
    // the grader survived to write every row; the timer never ran; the hostile throw costs only softmax's 3-D tests.
    const hostile = rows["exits-memory-timer-throw"];
    expect(hostile["1.3"]).toBe(7);
    expect(hostile["1.1"]).toBeGreaterThan(0);
    expect(hostile["1.1"]).toBeLessThan(20);
    expect(hostile.flags).toMatch(/started a timer/);
  });
});

describe("the sandbox is fair to correct code", () => {
  it("the reference's 5.1 (a scalar loss, graded with a gradient check across the boundary) gets full marks and no flags", () => {
    const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, "5.1", "--impl", "solutions", "--sandbox"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
      timeout: 300_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Total: 15\/15/);
    expect(r.stdout).not.toMatch(/Flagged/);
  });

  it("no double jeopardy for gradient tests: a correct 2.3 on a wrong 1.2 keeps its marks, its gradient test re-run with the reference 1.2 (gradients carried back into the sandbox)", () => {
    const planted = plantedFiles("mutants").find((m) => m.id === "1.2-softmax-over-queries")!;
    const dir = assembleSubmission([planted], fs.mkdtempSync(path.join(os.tmpdir(), "lab-sandbox-grad-")));
    try {
      const grade = (mode: string) =>
        spawnSync(process.execPath, ["--require", REGISTER, CLI, "2.3", "--impl", dir, mode, "--no-typecheck"], {
          cwd: ROOT,
          encoding: "utf8",
          env: { ...process.env, FORCE_COLOR: "0" },
          timeout: 300_000,
          maxBuffer: 32 * 1024 * 1024,
        });
      const r = grade("--sandbox");
      // Exactly the marks and feedback of grading in process.
      expect(r.stdout).toBe(grade("--no-sandbox").stdout);
      expect(r.stdout).toMatch(/Total: 30\/30/);
      // The same credit as in process: the re-run with the reference 1.2 passes, gradients included.
      expect(r.stdout).toMatch(/tests [\d, and]+: your multiHeadAttention is right here; the difference comes from your 1\.2 scaledDotProductAttention — fix 1\.2 first \(credited here: 1\.2 loses its own marks\)/);
      expect(r.stdout).not.toMatch(/cannot be re-run/);
      const gradientTest = r.stdout.split("\n").findIndex((l) => /PASS .*trainable: gradients/.test(l));
      expect(gradientTest).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a gradient test that fails through a building block with right values (a 7.3 that cuts cls out of the gradient) keeps the loss in the sandbox and names the block, and no correct block is blamed", () => {
    // Before gradients crossed the boundary, 2.3's own gradient test failed in the sandbox under swaps
    // whatever 2.3 did, so 2.3 counted as failing its own tests and this 7.4 test was credited ("fix 2.3 first").
    const file = path.join(tmp, "7.3-cls-detached.ts");
    fs.writeFileSync(
      file,
      [
        'import * as tf from "@tensorflow/tfjs";',
        "export function prependClsAndPositions(params: { cls: tf.Tensor; positions: tf.Tensor }, tokens: tf.Tensor): tf.Tensor {",
        "  const [b, , d] = tokens.shape;",
        "  return tf.tidy(() => {",
        "    const cls = tf.tensor(Array.from(params.cls.dataSync()), [1, 1, d]); // right values, no gradient to params.cls",
        "    return tf.add(tf.concat([tf.tile(cls, [b, 1, 1]), tokens], 1), params.positions);",
        "  });",
        "}",
        "",
      ].join("\n"),
    );
    const planted = { file, id: "7.3-cls-detached", kind: "mutant" as const, exercise: "7.3", what: "rebuilds [CLS] from its numbers", near: [], feedback: [], cause: [], category: "values", also: {} };
    const dir = assembleSubmission([planted], fs.mkdtempSync(path.join(os.tmpdir(), "lab-sandbox-grad-")));
    try {
      const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, "7.4", "--impl", dir, "--sandbox", "--no-typecheck"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, FORCE_COLOR: "0" },
        timeout: 300_000,
        maxBuffer: 32 * 1024 * 1024,
      });
      expect(r.stdout).toMatch(/Total: 18\/20/);
      expect(r.stdout).toMatch(/this test passes with the reference 7\.3 prependClsAndPositions in place of yours: your 7\.3 prependClsAndPositions makes it fail, although it passes its own tests — fix 7\.3 first/);
      expect(r.stdout).not.toMatch(/fails its own tests/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
