/**
 * `npm run notebooks [-- NAME...]`: execute notebooks headlessly under real Jupyter (nbclient via
 * nbconvert) with the tslab kernel and the reference solutions (LAB_IMPL=solutions unless set).
 * Writes out/notebooks/NAME.ipynb (executed) and NAME.html; exits non-zero if any cell errors.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { findJupyter, hasJupyterSubcommand, installKernelSpec, KERNEL_NAME, PROJECT_ROOT } from "./jupyter";

export const NOTEBOOK_DIR = path.join(PROJECT_ROOT, "notebooks");
export const OUT_DIR = path.join(PROJECT_ROOT, "out", "notebooks");
const CELL_TIMEOUT_S = 600;

interface Problem {
  cell: number;
  message: string;
}

export function listNotebooks(filters: readonly string[] = []): string[] {
  const all = fs.readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith(".ipynb")).sort();
  if (filters.length === 0) return all;
  const picked = all.filter((f) => filters.some((q) => f.includes(q)));
  const unmatched = filters.filter((q) => !all.some((f) => f.includes(q)));
  if (unmatched.length > 0) throw new Error(`No notebook matches ${unmatched.join(", ")}; have: ${all.join(", ")}`);
  return picked;
}

/** Error outputs (and tslab's compile errors, printed to stderr) in an executed notebook. */
export function findProblems(executed: { cells: { cell_type: string; outputs?: Record<string, unknown>[] }[] }): Problem[] {
  const problems: Problem[] = [];
  executed.cells.forEach((cell, i) => {
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") {
        problems.push({ cell: i, message: `${out.ename}: ${out.evalue}` });
      } else if (out.output_type === "stream" && out.name === "stderr") {
        const text = ([] as string[]).concat(out.text as string | string[]).join("");
        problems.push({ cell: i, message: `stderr: ${text.trim().slice(0, 500)}` });
      }
    }
  });
  return problems;
}

function main(): number {
  const names = listNotebooks(process.argv.slice(2).filter((a) => !a.startsWith("-")));
  const jupyter = findJupyter();
  if (!jupyter || !hasJupyterSubcommand(jupyter, "nbconvert")) {
    console.error(
      "run-notebooks: Jupyter's nbconvert was not found. On Debian/Ubuntu: " +
        "apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipython",
    );
    return 2;
  }
  // A private Jupyter path: the runner never depends on (or changes) the user's kernels.
  const jupyterPath = path.join(PROJECT_ROOT, "out", "jupyter");
  installKernelSpec(jupyterPath);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const env = {
    ...process.env,
    JUPYTER_PATH: jupyterPath,
    LAB_IMPL: process.env.LAB_IMPL ?? "solutions",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  let failed = 0;
  for (const name of names) {
    const started = Date.now();
    const stem = name.replace(/\.ipynb$/, "");
    const run = spawnSync(
      jupyter,
      [
        "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
        `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
        `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
        "--output-dir", OUT_DIR, "--output", stem,
        path.join(NOTEBOOK_DIR, name),
      ],
      { env, encoding: "utf8", cwd: NOTEBOOK_DIR },
    );
    const executedPath = path.join(OUT_DIR, `${stem}.ipynb`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (run.status !== 0 || !fs.existsSync(executedPath)) {
      console.error(`✗ ${name} (${seconds} s): nbconvert failed\n${run.stderr}`);
      failed++;
      continue;
    }
    const problems = findProblems(JSON.parse(fs.readFileSync(executedPath, "utf8")));
    const html = spawnSync(jupyter, ["nbconvert", "--to", "html", "--output-dir", OUT_DIR, executedPath], { env, encoding: "utf8" });
    if (html.status !== 0) problems.push({ cell: -1, message: `HTML export failed: ${html.stderr.trim().slice(-500)}` });
    if (problems.length > 0) {
      failed++;
      console.error(`✗ ${name} (${seconds} s)`);
      for (const p of problems) console.error(`   cell ${p.cell}: ${p.message}`);
    } else {
      console.log(`✓ ${name} (${seconds} s) → ${path.relative(PROJECT_ROOT, executedPath)}, ${stem}.html`);
    }
  }
  console.log(`${names.length - failed} of ${names.length} notebooks ran cleanly (LAB_IMPL=${env.LAB_IMPL}).`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) process.exit(main());
