/**
 * The notebook kernel as Jupyter runs it: `npm start`'s registration, the launcher that follows
 * the clone, the dropped-cell fix, execution counts, short errors, hot reload.
 * Needs Debian's Jupyter packages (.ci/run installs them).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { installKernelSpec, KERNEL_NAME, PLOTLY_FILE } from "../../scripts/jupyter";
import { progress } from "./progress";

const ROOT = path.resolve(__dirname, "..", "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
const PY = "/usr/bin/python3";

interface CellResult {
  status: string;
  execution_count: number | null;
  input_count: number | null;
  stdout: string;
  stderr: string;
  display: { kind: string; data: Record<string, unknown> }[];
}
type Cell = { code: string; stop_on_error?: boolean };

/** Runs groups of cells in one kernel started in `nbDir` (tests/unit/kernel/session.py). */
function session(jupyterPath: string, nbDir: string, groups: Cell[][], env: NodeJS.ProcessEnv = {}): CellResult[][] {
  progress(`kernel test: a kernel in ${path.relative(ROOT, nbDir) || nbDir}, ${groups.flat().length} cells`);
  const script = path.join(jupyterPath, `script-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(script, JSON.stringify({ groups }));
  const run = spawnSync(PY, [path.join(__dirname, "kernel", "session.py"), nbDir, script], {
    env: { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: "1", ...env },
    encoding: "utf8",
    timeout: 240_000,
  });
  if (run.status !== 0) throw new Error(`session.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

const scratch: string[] = [];
/** A scratch folder inside the project (so the kernel finds this project above it). */
function projectScratch(prefix: string): string {
  fs.mkdirSync(path.join(ROOT, "out"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "out", prefix));
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
});

/** notebooks-like folder: lib/ and solutions/ linked as in notebooks/. */
function notebookDir(parent: string): string {
  const nb = path.join(parent, "notebooks");
  fs.mkdirSync(nb, { recursive: true });
  fs.symlinkSync(path.join(ROOT, "lib"), path.join(nb, "lib"));
  fs.symlinkSync(path.join(ROOT, "solutions"), path.join(nb, "solutions"));
  return nb;
}

const SETUP = 'import * as tf from "@tensorflow/tfjs";\nimport { setupBackend } from "./lib/support/backend";\nawait setupBackend(undefined, { quiet: true });';

describe("npm start", () => {
  it("registers the kernel (launcher, plotting library, clone list) idempotently, without Python", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-jupyter-"));
    scratch.push(dataDir);
    const env = { ...process.env, JUPYTER_DATA_DIR: dataDir };
    const start = () => spawnSync(process.execPath, [TS_NODE, "--transpile-only", "scripts/start.ts", "--dry-run"], { cwd: ROOT, env, encoding: "utf8" });
    const first = start();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Registered "TypeScript (Attention Lab)"`);
    const specDir = path.join(dataDir, "kernels", KERNEL_NAME);
    const spec = JSON.parse(fs.readFileSync(path.join(specDir, "kernel.json"), "utf8"));
    // The spec points into its own folder, never into a clone.
    expect(spec.argv).toEqual([process.execPath, path.join(specDir, "launch.js"), "{connection_file}"]);
    expect(spec.language).toBe("typescript");
    expect(fs.readFileSync(path.join(specDir, "launch.js"), "utf8")).toBe(fs.readFileSync(path.join(ROOT, "scripts", "kernel", "launch.js"), "utf8"));
    expect(fs.statSync(path.join(specDir, PLOTLY_FILE)).size).toBeGreaterThan(1_000_000);
    expect(JSON.parse(fs.readFileSync(path.join(specDir, "projects.json"), "utf8")).projects).toEqual([ROOT]);
    const second = start();
    expect(second.stdout).toContain("Kernel already registered");
    // With Jupyter present it names the command it would run; otherwise it explains the options.
    expect(second.stdout).toMatch(/Starting: .*jupyter (lab|notebook) --notebook-dir=.*notebooks|No Jupyter notebook UI found/);
  });
});

describe("a kernel that follows the clone", () => {
  /** A minimal clone: the kernel scripts copied, node_modules linked, a notebooks folder. */
  function makeClone(dir: string): void {
    fs.mkdirSync(path.join(dir, "scripts"), { recursive: true });
    fs.cpSync(path.join(ROOT, "scripts"), path.join(dir, "scripts"), { recursive: true });
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "notebooks"));
  }
  const register = (clone: string, dataDir: string) => {
    const r = spawnSync(process.execPath, [TS_NODE, "--transpile-only", "scripts/start.ts", "--dry-run"], {
      cwd: clone, env: { ...process.env, JUPYTER_DATA_DIR: dataDir }, encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
  };
  const rootSeenBy = (dataDir: string, nbDir: string) =>
    session(dataDir, nbDir, [[{ code: "console.log(process.env.LAB_PROJECT_ROOT)" }]])[0][0];

  it("two clones each run their own project; a moved clone still works; deleting one breaks nothing for the other", () => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lab-clones-")));
    scratch.push(base);
    const dataDir = path.join(base, "jupyter");
    const a = path.join(base, "clone-a");
    const b = path.join(base, "clone-b");
    makeClone(a);
    makeClone(b);
    register(a, dataDir);
    register(b, dataDir); // b registered last: the spec must not belong to b
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, "kernels", KERNEL_NAME, "projects.json"), "utf8")).projects).toEqual([b, a]);

    expect(rootSeenBy(dataDir, path.join(a, "notebooks")).stdout.trim()).toBe(a);
    expect(rootSeenBy(dataDir, path.join(b, "notebooks")).stdout.trim()).toBe(b);

    const moved = path.join(base, "moved", "clone-a");
    fs.mkdirSync(path.dirname(moved));
    fs.renameSync(a, moved);
    fs.rmSync(b, { recursive: true, force: true });
    const afterMove = rootSeenBy(dataDir, path.join(moved, "notebooks"));
    expect(afterMove.status).toBe("ok");
    expect(afterMove.stdout.trim()).toBe(moved);

    // A notebook outside every clone, with every registered clone gone: a clear message, not a hang.
    const outside = path.join(base, "elsewhere");
    fs.mkdirSync(outside);
    const launch = spawnSync(process.execPath, [path.join(dataDir, "kernels", KERNEL_NAME, "launch.js"), path.join(outside, "none.json")], { cwd: outside, encoding: "utf8" });
    expect(launch.status).toBe(1);
    expect(launch.stderr).toMatch(/no Attention Lab project .* contains .*elsewhere.*npm install && npm start/);
  }, 300_000);
});

describe("kernel behaviour", () => {
  const dir = projectScratch("kernel-");
  const jupyterPath = path.join(dir, "jupyter");
  installKernelSpec(jupyterPath);
  const nb = notebookDir(dir);

  it("a cell run right after a failed one is not dropped; cells queued behind a failure are aborted, as in Jupyter", () => {
    const [warm, failed, next, queued] = session(jupyterPath, nb, [
      [{ code: "1 + 1" }],
      [{ code: 'throw new Error("boom")' }],
      [{ code: 'console.log("the next cell ran")' }], // sent the moment the error reply arrived
      [
        { code: 'await new Promise((r) => setTimeout(r, 300));\nthrow new Error("slow boom")' },
        { code: 'console.log("queued behind the failure")' },
        { code: 'console.log("queued, stop_on_error false")', stop_on_error: false },
      ],
    ]);
    expect(warm[0].stdout.trim()).toBe("2");
    expect(failed[0].status).toBe("error");
    expect(failed[0].stderr).toContain("Error: boom");
    expect(next[0].status).toBe("ok");
    expect(next[0].stdout).toBe("the next cell ran\n");
    expect(queued.map((c) => c.status)).toEqual(["error", "aborted", "ok"]);
    expect(queued[2].stdout).toBe("queued, stop_on_error false\n");
    // Execution counts are published (execute_input), so nbconvert records them.
    expect([warm, failed, next].map((g) => g[0].input_count)).toEqual([1, 2, 3]);
    expect([warm, failed, next].map((g) => g[0].execution_count)).toEqual([1, 2, 3]);
  }, 300_000);

  it("an unimplemented exercise is two lines; a student's own error shows the student's .ts file and line first", () => {
    fs.writeFileSync(path.join(nb, "student.ts"), [
      'import * as tf from "@tensorflow/tfjs";',
      "",
      "interface Options {",
      "  scale: number;",
      "}",
      "",
      "export function shifted(x: tf.Tensor, o: Options = { scale: 1 }): tf.Tensor {",
      "  return tf.tidy(() => {",
      "    const wrong = tf.sub(x, tf.ones([7]));   // line 9: [2, 3] - [7] does not broadcast",
      "    return tf.div(wrong, o.scale);",
      "  });",
      "}",
      "",
    ].join("\n"));
    const [[, stub, own, compile]] = session(jupyterPath, nb, [[
      { code: SETUP },
      { code: 'import { softmax } from "./lib/attention";\nconst x = tf.ones([2, 3]);\ntf.tidy(() => softmax(x));', stop_on_error: false },
      { code: 'import { shifted } from "./student";\n\nshifted(tf.ones([2, 3]));', stop_on_error: false },
      { code: 'check("1.1");', stop_on_error: false },
    ]], { LAB_IMPL: "lib" });
    expect(stub.stderr.trimEnd().split("\n")).toEqual([
      "NotImplementedYet: Exercise 1.1 (notebooks/01-attention.ipynb): implement softmax in lib/attention.ts",
      "    called from cell line 3:  tf.tidy(() => softmax(x));",
    ]);
    const lines = own.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("Error: Operands could not be broadcast together with shapes 2,3 and 7.");
    expect(lines[1]).toMatch(/^ {4}at student\.ts:9\b.*tf\.sub\(x, tf\.ones\(\[7\]\)\)/);
    expect(lines[2]).toMatch(/^ {4}at student\.ts:8 \(shifted\)/);
    expect(lines[3]).toMatch(/^ {4}at cell line 3:  shifted\(tf\.ones\(\[2, 3\]\)\);/);
    expect(lines.slice(4).join("\n")).toMatch(/frames? inside @tensorflow\/tfjs-core.* not shown/);
    expect(own.stderr).not.toMatch(/node_modules|evalmachine|\.js:\d/);
    // A name from a skipped cell gets a hint about the set-up cells.
    expect(compile.stderr).toContain("Cannot find name 'check'");
    expect(compile.stderr).toMatch(/hint: .*set-up cells at the top/);
  }, 300_000);

  it("re-running an import cell after editing a symlinked .ts file uses the new code, no restart", () => {
    const real = path.join(dir, "lib-real");
    const nb2 = path.join(dir, "nb-reload");
    fs.mkdirSync(real);
    fs.mkdirSync(nb2);
    fs.symlinkSync("../lib-real", path.join(nb2, "lib")); // as notebooks/lib -> ../lib
    const mod = path.join(real, "mod.ts");
    fs.writeFileSync(mod, "export function answer(): number {\n  return 1;\n}\n");
    const run = spawnSync(PY, [path.join(__dirname, "kernel", "reload.py"), nb2, mod], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      encoding: "utf8",
      timeout: 240_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    expect(result).toEqual({ first: "1", second: "2" });
  }, 300_000);
});
