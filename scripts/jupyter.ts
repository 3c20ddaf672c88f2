/**
 * Jupyter plumbing shared by `npm start` and the notebook runner: where Jupyter is, and the
 * tslab kernel spec that runs this project's own tslab (written directly; no Python needed).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const KERNEL_NAME = "attention-lab";
export const KERNEL_DISPLAY_NAME = "TypeScript (Attention Lab)";

/** Jupyter's per-user data folder (where kernels/ lives), as jupyter_core computes it. */
export function userJupyterDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "jupyter");
}

export function kernelSpec(): Record<string, unknown> {
  const tslabBin = path.join(PROJECT_ROOT, "node_modules", "tslab", "bin", "tslab");
  if (!fs.existsSync(tslabBin)) {
    throw new Error(`tslab is not installed at ${tslabBin}: run "npm install" in ${PROJECT_ROOT} first`);
  }
  return {
    argv: [process.execPath, tslabBin, "kernel", "--config-path", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
  };
}

/**
 * Writes kernels/attention-lab/kernel.json under `dataDir` (idempotent: rewrites only when it
 * differs). Returns the file and whether it changed.
 */
export function installKernelSpec(dataDir = userJupyterDataDir()): { file: string; changed: boolean } {
  const dir = path.join(dataDir, "kernels", KERNEL_NAME);
  const file = path.join(dir, "kernel.json");
  const text = JSON.stringify(kernelSpec(), null, 2) + "\n";
  const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  if (old === text) return { file, changed: false };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, text);
  return { file, changed: true };
}

/** The `jupyter` command to use, or undefined. Debian's /usr/bin/jupyter is tried after PATH. */
export function findJupyter(): string | undefined {
  const candidates = [process.env.LAB_JUPYTER, "jupyter", "/usr/bin/jupyter", "/usr/local/bin/jupyter"];
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ["--version"], { encoding: "utf8", stdio: "pipe" });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** True when `jupyter <sub> --version` works (e.g. "nbconvert", "notebook", "lab"). */
export function hasJupyterSubcommand(jupyter: string, sub: string): boolean {
  return spawnSync(jupyter, [sub, "--version"], { encoding: "utf8", stdio: "pipe" }).status === 0;
}
