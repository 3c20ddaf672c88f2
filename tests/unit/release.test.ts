/**
 * The student edition (`npm run release`, scripts/release.ts), built once into a temp folder:
 * it holds no solution code (no solutions/, no reference function body anywhere, no hidden tests,
 * no planted variants), its notebooks carry no outputs and no solutions/ imports, and its grader,
 * working from the recorded reference outputs alone, scores the stubs 0 and the reference
 * (copied into its lib/ as a student's finished work) full marks on every exercise.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXERCISES, EXERCISE_MODULES } from "../../lib/support/exercises";
import { buildRelease, nonStubFunctions, type ReleaseSummary } from "../../scripts/release";

const ROOT = path.resolve(__dirname, "..", "..");
const SOLUTIONS = path.join(ROOT, "solutions");
const TOTAL = EXERCISES.reduce((s, e) => s + e.points, 0);

let dir: string;
let out: string;
let summary: ReleaseSummary;

function walk(d: string, base = d): string[] {
  const files: string[] = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.name === "node_modules" && d === base) continue;
    if (e.isSymbolicLink()) continue; // notebooks/lib -> ../lib, checked on its own
    if (e.isDirectory()) files.push(...walk(p, base));
    else files.push(path.relative(base, p));
  }
  return files;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * Every function body of a solutions/ file (squashed), and its lines that appear nowhere in the kit
 * folders students get anyway (lib/, notebooks/, grader/, the public checks): the identifying ones.
 */
function referenceFingerprints(libText: string): { bodies: { name: string; text: string }[]; lines: { name: string; text: string }[] } {
  const bodies: { name: string; text: string }[] = [];
  const lines: { name: string; text: string }[] = [];
  const sharedFlat = squash(libText);
  for (const f of fs.readdirSync(SOLUTIONS).filter((f) => f.endsWith(".ts"))) {
    const sf = ts.createSourceFile(f, fs.readFileSync(path.join(SOLUTIONS, f), "utf8"), ts.ScriptTarget.ES2020, true);
    const visit = (n: ts.Node) => {
      if ((ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.body && ts.isBlock(n.body)) {
        const name = `${f}:${ts.isFunctionDeclaration(n) && n.name ? n.name.text : `line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`}`;
        const text = n.body.getText(sf);
        if (text.length > 40 && !sharedFlat.includes(squash(text))) bodies.push({ name, text: squash(text) });
        for (const l of text.split("\n").map((x) => x.trim())) {
          if (l.length >= 30 && !l.startsWith("//") && !l.startsWith("*") && !libText.includes(l)) lines.push({ name, text: l });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { bodies, lines };
}

function grade(args: string[]): { status: number | null; stdout: string; stderr: string; report: { score: number; max_score: number; tests: { name: string; score: number; max_score: number }[] } } {
  const json = path.join(dir, `report-${Date.now()}.json`);
  const r = spawnSync(process.execPath, ["--require", "./grader/register.js", "grader/cli.ts", "--no-typecheck", "--json", json, ...args], {
    cwd: out,
    encoding: "utf8",
    env: { ...process.env, LAB_REFERENCE: "", FORCE_COLOR: "0" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: JSON.parse(fs.readFileSync(json, "utf8")) };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-release-test-"));
  out = path.join(dir, "edition");
  summary = buildRelease({ out, log: () => undefined });
  // What `npm install` gives the student, without the network: the kit's own node_modules.
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(out, "node_modules"));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the student release", () => {
  it("ships no solution code: no solutions/, no reference function body or identifying line in any file", () => {
    const files = walk(out);
    expect(files).toContain("reference/fixtures.json.gz");
    expect(files.filter((f) => /(^|\/)solutions(\/|$)/.test(f))).toEqual([]);
    const shared = ["lib", "notebooks", "grader", "tests/grading/checks"].flatMap((d) => walk(path.join(ROOT, d)).map((f) => path.join(ROOT, d, f)));
    const { bodies, lines } = referenceFingerprints(shared.map((f) => fs.readFileSync(f, "utf8")).join("\n"));
    // Not vacuous: there are many to look for, and the scan finds them where they are.
    expect(bodies.length).toBeGreaterThan(40);
    expect(lines.length).toBeGreaterThan(100);
    const planted = squash(fs.readFileSync(path.join(SOLUTIONS, "attention.ts"), "utf8"));
    expect(bodies.some((b) => planted.includes(b.text))).toBe(true);
    const found: string[] = [];
    for (const f of files.filter((f) => !f.endsWith(".gz") && !f.endsWith(".bin"))) {
      const text = fs.readFileSync(path.join(out, f), "utf8");
      const flat = squash(text);
      for (const b of bodies) if (flat.includes(b.text)) found.push(`${f}: the body of ${b.name}`);
      for (const l of lines) if (text.includes(l.text)) found.push(`${f}: a line of ${l.name}: ${l.text}`);
    }
    expect(found).toEqual([]);
  });

  it("ships stubs, public checks only, notebooks without outputs, and a student README", () => {
    const files = walk(out);
    for (const m of EXERCISE_MODULES) expect(nonStubFunctions(path.join(out, "lib", `${m}.ts`)), `lib/${m}.ts`).toEqual([]);
    expect(files.filter((f) => f.startsWith("tests/")).filter((f) => !/^tests\/(grading\/checks\/|grading\/misconceptions\/index\.ts$|fixtures\/[\w-]+\.(json|ts)$)/.test(f))).toEqual([]);
    expect(files.filter((f) => /hidden|fairness|\.py$|gradescope|bench\/|datasets\/build/.test(f))).toEqual([]);
    const nbs = files.filter((f) => f.endsWith(".ipynb"));
    expect(nbs.length).toBe(fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).length);
    for (const f of nbs) {
      const nb = JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) as { cells: { cell_type: string; source: string[]; outputs?: unknown[]; execution_count?: unknown }[] };
      const code = nb.cells.filter((c) => c.cell_type === "code");
      expect(code.every((c) => (c.outputs ?? []).length === 0 && c.execution_count === null), f).toBe(true);
      expect(code.some((c) => c.source.join("").includes("reference-stand-ins/")), f).toBe(true);
      expect(code.filter((c) => /\.\/solutions\//.test(c.source.join(""))), f).toEqual([]);
    }
    expect(fs.readlinkSync(path.join(out, "notebooks", "lib"))).toBe("../lib");
    const readme = fs.readFileSync(path.join(out, "README.md"), "utf8");
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm run grade");
    expect(readme).toContain(`${TOTAL} points`);
    const pkg = JSON.parse(fs.readFileSync(path.join(out, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(Object.keys(pkg.scripts).sort()).toEqual(["grade", "start", "typecheck"]);
    expect(summary.fixtureEntries).toBeGreaterThan(100);
  });

  it("ships the kit's locked versions without its test tools, and a GitHub Classroom workflow whose grade step feeds the reporter", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(out, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const kit = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as typeof pkg;
    expect(pkg.dependencies).toEqual(kit.dependencies);
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(["@types/node", "ts-node", "typescript"]);
    const lock = JSON.parse(fs.readFileSync(path.join(out, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    const kitLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as typeof lock;
    for (const gone of ["vitest", "vite", "playwright-core", "mathjax"]) expect(lock.packages[`node_modules/${gone}`], gone).toBeUndefined();
    // The same versions as the kit's lock (pruned, never re-resolved), and consistent: npm ci would install exactly these.
    for (const [k, v] of Object.entries(lock.packages)) if (k !== "") expect(v.version, k).toBe(kitLock.packages[k]?.version);
    expect(lock.packages["node_modules/@tensorflow/tfjs"]?.version).toBe("4.22.0");
    const ls = spawnSync("npm", ["ls", "--package-lock-only", "--all"], { cwd: out, encoding: "utf8" });
    expect(ls.status, ls.stdout + ls.stderr).toBe(0);

    // The workflow: its Grade step run as GitHub Actions runs it (bash -e, with the runner's files), then decoded as the reporter does.
    const yml = fs.readFileSync(path.join(out, ".github", "workflows", "classroom.yml"), "utf8");
    expect(yml).toMatch(/^name: Autograding Tests$/m);
    expect(yml).toMatch(/^ {4}name: Autograding Tests$/m); // the job's check run: the reporter looks it up by this name
    const step = /- name: Grade\n\s+id: (\w+)\n\s+run: \|\n((?: {10}.*\n)+)/.exec(yml);
    expect(step).not.toBeNull();
    const [, id, block] = step as RegExpExecArray;
    const runner = /runners: (\S+)/.exec(yml)?.[1];
    expect(runner).toBe(id);
    expect(yml).toContain(`${id.toUpperCase()}_RESULTS: "\${{ steps.${id}.outputs.result }}"`);
    const runnerDir = fs.mkdtempSync(path.join(dir, "runner-"));
    const env = { ...process.env, RUNNER_TEMP: runnerDir, GITHUB_OUTPUT: path.join(runnerDir, "output"), GITHUB_STEP_SUMMARY: path.join(runnerDir, "summary.md"), FORCE_COLOR: "0", LAB_REFERENCE: "" };
    const script = block.replace(/^ {10}/gm, "").replace("grade -- ", "grade -- --no-typecheck ");
    const r = spawnSync("bash", ["-e", "-c", script], { cwd: out, env, encoding: "utf8", maxBuffer: 64 << 20 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(fs.readFileSync(env.GITHUB_STEP_SUMMARY, "utf8")).toContain(`**Total: 0/${TOTAL}**`);
    const output = /^result=(.+)$/m.exec(fs.readFileSync(env.GITHUB_OUTPUT, "utf8"))?.[1] ?? "";
    const result = JSON.parse(Buffer.from(output, "base64").toString("utf8")) as { version: number; status: string; max_score: number; tests: { name: string; status: string; score: number; message: string }[] };
    expect(result).toMatchObject({ version: 1, status: "fail", max_score: TOTAL });
    expect(result.tests.map((t) => t.name)).toEqual(EXERCISES.map((e) => `${e.id} ${e.fn} (lib/${e.module}.ts)`));
    expect(result.tests.every((t) => t.status === "fail" && t.score === 0 && t.message.includes("not implemented yet"))).toBe(true);
  });

  it("grades from the recorded outputs alone: the stubs score 0, the reference copied into lib/ full marks on every exercise", () => {
    const stubs = grade([]);
    expect(stubs.status, stubs.stderr).toBe(0);
    expect(stubs.report.max_score).toBe(TOTAL);
    expect(stubs.report.score).toBe(0);
    expect(stubs.stdout).toContain("not implemented yet");
    expect(stubs.stdout).toContain("student edition: your results are compared with the reference's recorded outputs");

    // The student's finished work: the reference files, with the imports a file in lib/ has.
    for (const m of EXERCISE_MODULES) {
      const text = fs.readFileSync(path.join(SOLUTIONS, `${m}.ts`), "utf8").split("../lib/support/").join("./support/");
      fs.writeFileSync(path.join(out, "lib", `${m}.ts`), text);
    }
    const done = grade([]);
    expect(done.status, done.stderr).toBe(0);
    const lost = done.report.tests.filter((t) => t.score !== t.max_score).map((t) => t.name);
    expect(lost).toEqual([]);
    expect(done.report.score).toBe(TOTAL);

    // The seam says clearly when the reference itself is asked for.
    const refused = spawnSync(process.execPath, ["--require", "./grader/register.js", "grader/cli.ts", "--impl", "solutions"], { cwd: out, encoding: "utf8" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/student edition/);
  });
});
