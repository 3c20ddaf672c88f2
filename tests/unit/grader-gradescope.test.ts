/**
 * The Gradescope autograder (grader/gradescope.ts): the zip is built, unpacked into a fake
 * /autograder tree, and its run_autograder grades a submission there, with a hidden test; the
 * results.json is checked against Gradescope's documented schema.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { REGISTER, ROOT, SOLUTIONS_DIR } from "../../grader/paths";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-gradescope-"));
// Like /autograder: world-readable, so that the sandbox's throwaway user can read its workspace.
fs.chmodSync(tmp, 0o755);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const VIS = ["hidden", "after_due_date", "after_published", "visible"];

/** Gradescope's results.json schema (https://gradescope-autograders.readthedocs.io/en/latest/specs/), as checks; returns the problems found. */
function schemaProblems(r: Record<string, unknown>): string[] {
  const p: string[] = [];
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  if (!num(r.score) && !Array.isArray(r.tests)) p.push("score or tests is required");
  if (r.score !== undefined && !num(r.score)) p.push("score must be a number");
  if (r.execution_time !== undefined && !num(r.execution_time)) p.push("execution_time must be a number");
  if (r.output !== undefined && typeof r.output !== "string") p.push("output must be a string");
  if (r.visibility !== undefined && !VIS.includes(r.visibility as string)) p.push("visibility");
  const allowedTop = new Set(["score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard", "max_score"]);
  for (const k of Object.keys(r)) if (!allowedTop.has(k)) p.push(`unknown top-level key ${k}`);
  const allowedTest = new Set(["score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"]);
  for (const [i, t] of ((r.tests as Record<string, unknown>[]) ?? []).entries()) {
    for (const k of Object.keys(t)) if (!allowedTest.has(k)) p.push(`test ${i}: unknown key ${k}`);
    if (t.score !== undefined && !num(t.score)) p.push(`test ${i}: score`);
    if (t.max_score !== undefined && !num(t.max_score)) p.push(`test ${i}: max_score`);
    if (t.status !== undefined && t.status !== "passed" && t.status !== "failed") p.push(`test ${i}: status`);
    if (t.visibility !== undefined && !VIS.includes(t.visibility as string)) p.push(`test ${i}: visibility`);
    for (const k of ["name", "number", "output"]) if (t[k] !== undefined && typeof t[k] !== "string") p.push(`test ${i}: ${k} must be a string`);
  }
  return p;
}

describe("Gradescope autograder", () => {
  it("builds a zip whose run_autograder grades a fake /autograder tree into a valid results.json, hidden tests kept hidden", () => {
    const hidden = path.join(tmp, "hidden");
    fs.mkdirSync(hidden);
    const secret = 'causalMask(11)';
    fs.writeFileSync(
      path.join(hidden, "mask.checks.ts"),
      [
        'import { valueCheck } from "attention-lab/grader/builders";',
        'import type { AttentionModule } from "attention-lab/grader/types";',
        "export const checks = [",
        `  valueCheck<AttentionModule, number>({ exercise: "1.3", name: "values, secret size", points: 3, inputs: () => 11, call: (m, n) => m.${secret.replace("11", "n")} }),`,
        "];",
      ].join("\n"),
    );
    const zip = path.join(tmp, "autograder.zip");
    const built = spawnSync(process.execPath, ["--require", REGISTER, path.join(ROOT, "grader", "gradescope.ts"), "--out", zip, "--extra-tests", hidden, "--hidden-visibility", "after_due_date"], { cwd: ROOT, encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);

    const root = path.join(tmp, "autograder");
    const source = path.join(root, "source");
    fs.mkdirSync(source, { recursive: true });
    expect(spawnSync("unzip", ["-q", zip, "-d", source]).status).toBe(0);
    for (const f of ["setup.sh", "run_autograder", "hidden-tests/mask.checks.ts", "grader/cli.ts", "solutions/attention.ts", "package-lock.json"]) expect(fs.existsSync(path.join(source, f)), f).toBe(true);
    expect(fs.existsSync(path.join(source, "node_modules"))).toBe(false);
    expect(fs.statSync(path.join(source, "run_autograder")).mode & 0o111).not.toBe(0);
    expect(spawnSync("bash", ["-n", path.join(source, "setup.sh")]).status).toBe(0);

    // What setup.sh's npm ci would install: the kit's own packages.
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(source, "node_modules"), "dir");
    // A student's upload: the reference causalMask with one mistake (no strict upper triangle at n = 11 only).
    const sub = path.join(root, "submission");
    fs.mkdirSync(sub);
    const text = fs.readFileSync(path.join(SOLUTIONS_DIR, "attention.ts"), "utf8").split("../lib/support/").join("./support/");
    const start = 'requireInt("causalMask", "n", n, 1);';
    expect(text).toContain(start);
    fs.writeFileSync(path.join(sub, "attention.ts"), text.replace(start, `${start}\n  if (n === 11) throw new Error("leaking the hidden input: n = " + n);`));

    const run = spawnSync(path.join(source, "run_autograder"), [], { encoding: "utf8", env: { ...process.env, AUTOGRADER_ROOT: root, AUTOGRADER_GRADE_ARGS: "1.3" }, timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    const resultsText = fs.readFileSync(path.join(root, "results", "results.json"), "utf8");
    const results = JSON.parse(resultsText) as Record<string, unknown> & { tests: Record<string, unknown>[] };
    expect(schemaProblems(results)).toEqual([]);
    expect(results.score, resultsText.slice(0, 3000)).toBe(10); // the visible tests all pass; the hidden one (3 points) fails
    expect(results.max_score).toBe(13);
    expect(typeof results.execution_time).toBe("number");
    const hiddenTest = results.tests.find((t) => String(t.name).includes("secret size"));
    expect(hiddenTest).toMatchObject({ visibility: "after_due_date", status: "failed", score: 0, max_score: 3 });
    expect(String(hiddenTest?.output)).toBe("failed (a hidden test: its inputs and details are not shown)");
    expect(results.tests.filter((t) => t !== hiddenTest).every((t) => t.visibility === undefined && t.status === "passed")).toBe(true);
    // Neither the hidden test's input nor what the student's code said about it reaches the student.
    expect(resultsText).not.toMatch(/n = 11|leaking the hidden input/);
    expect(fs.readFileSync(path.join(root, "results", "feedback.txt"), "utf8")).not.toMatch(/n = 11|leaking/);
  });
});
