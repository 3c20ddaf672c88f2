/**
 * Jupyter plumbing shared by `npm start` and the notebook runner: where Jupyter is, and the
 * kernel spec (written directly; no Python needed). The spec runs scripts/kernel/launch.js,
 * which starts the tslab of whichever clone holds the notebook (scripts/kernel/kernel.js).
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

/** The launcher that kernel.json runs; copied into the kernel spec folder (see its header). */
export const LAUNCHER_SOURCE = path.join(PROJECT_ROOT, "scripts", "kernel", "launch.js");
/** The plotting library, served to notebook pages from the kernel spec folder (lib/support/plot.ts). */
export const PLOTLY_FILE = "plotly.min.js";

/** kernel.json for the spec folder `specDir`: Node runs the launcher copied there, not a clone's files. */
export function kernelSpec(specDir: string): Record<string, unknown> {
  return {
    argv: [process.execPath, path.join(specDir, "launch.js"), "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    metadata: { "attention-lab": { launcher: "launch.js finds the notebook's own project (scripts/kernel/kernel.js)" } },
  };
}

function plotlyBundlePath(): string {
  return require.resolve("plotly.js-cartesian-dist-min", { paths: [PROJECT_ROOT] });
}

/**
 * Writes kernels/attention-lab/ under `dataDir`: kernel.json, the launcher, the plotting library
 * and projects.json (the clones that registered, newest first; the launcher's fallback for
 * notebooks outside any clone). Idempotent: files are rewritten only when they differ. Returns
 * kernel.json's path and whether anything changed.
 */
export function installKernelSpec(dataDir = userJupyterDataDir()): { file: string; changed: boolean } {
  const tslabBin = path.join(PROJECT_ROOT, "node_modules", "tslab", "package.json");
  if (!fs.existsSync(tslabBin)) {
    throw new Error(`tslab is not installed in ${path.dirname(tslabBin)}: run "npm install" in ${PROJECT_ROOT} first`);
  }
  const dir = path.resolve(dataDir, "kernels", KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "kernel.json");
  const projectsFile = path.join(dir, "projects.json");
  let known: string[] = [];
  try {
    known = JSON.parse(fs.readFileSync(projectsFile, "utf8")).projects ?? [];
  } catch {
    known = [];
  }
  const projects = [PROJECT_ROOT, ...known.filter((p) => p !== PROJECT_ROOT && fs.existsSync(p))];
  let changed = false;
  const write = (target: string, content: string | Buffer): void => {
    const old = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
    const next = typeof content === "string" ? Buffer.from(content) : content;
    if (old && old.equals(next)) return;
    fs.writeFileSync(target, next);
    changed = true;
  };
  write(path.join(dir, "launch.js"), fs.readFileSync(LAUNCHER_SOURCE));
  write(path.join(dir, PLOTLY_FILE), fs.readFileSync(plotlyBundlePath()));
  write(projectsFile, JSON.stringify({ projects }, null, 2) + "\n");
  write(file, JSON.stringify(kernelSpec(dir), null, 2) + "\n");
  return { file, changed };
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
