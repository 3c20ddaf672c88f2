/**
 * The student's loop in a real Jupyter kernel, and `npm start`'s kernel registration.
 * Needs Debian's Jupyter packages (.ci/run installs them).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { installKernelSpec, KERNEL_NAME } from "../../scripts/jupyter";

const ROOT = path.resolve(__dirname, "..", "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");

describe("npm start", () => {
  it("registers this project's tslab as a kernel, idempotently, without Python", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-jupyter-"));
    const env = { ...process.env, JUPYTER_DATA_DIR: dataDir };
    const start = () => spawnSync(process.execPath, [TS_NODE, "--transpile-only", "scripts/start.ts", "--dry-run"], { cwd: ROOT, env, encoding: "utf8" });
    const first = start();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Registered "TypeScript (Attention Lab)"`);
    const spec = JSON.parse(fs.readFileSync(path.join(dataDir, "kernels", KERNEL_NAME, "kernel.json"), "utf8"));
    expect(spec.argv).toEqual([process.execPath, path.join(ROOT, "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", "{connection_file}"]);
    expect(spec.language).toBe("typescript");
    const second = start();
    expect(second.stdout).toContain("Kernel already registered");
    // With Jupyter present it names the command it would run; otherwise it explains the options.
    expect(second.stdout).toMatch(/Starting: .*jupyter (lab|notebook) --notebook-dir=.*notebooks|No Jupyter notebook UI found/);
  });
});

describe("tslab kernel", () => {
  it("re-running an import cell after editing a symlinked .ts file uses the new code, no restart", () => {
    fs.mkdirSync(path.join(ROOT, "out"), { recursive: true });
    // Inside the project, so the kernel finds node_modules as it does for notebooks/.
    const dir = fs.mkdtempSync(path.join(ROOT, "out", "reload-"));
    try {
      const real = path.join(dir, "lib-real");
      const nb = path.join(dir, "notebooks");
      fs.mkdirSync(real);
      fs.mkdirSync(nb);
      fs.symlinkSync("../lib-real", path.join(nb, "lib")); // as notebooks/lib -> ../lib
      const mod = path.join(real, "mod.ts");
      fs.writeFileSync(mod, "export function answer(): number {\n  return 1;\n}\n");
      const jupyterPath = path.join(dir, "jupyter");
      installKernelSpec(jupyterPath);
      const run = spawnSync("/usr/bin/python3", [path.join(__dirname, "kernel", "reload.py"), nb, mod], {
        env: { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
        encoding: "utf8",
        timeout: 240_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
      expect(result).toEqual({ first: "1", second: "2" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
