/**
 * `npm run notebooks [-- NAME...]`: execute notebooks headlessly under real Jupyter (nbclient)
 * with the course kernel and the reference solutions (LAB_IMPL=solutions unless set). Writes
 * out/notebooks/NAME.ipynb (executed, with execution counts) and NAME.html (self-contained:
 * maths as SVG, the plotting library inlined once; scripts/export-html.ts), and the course
 * index out/notebooks/index.html. Prints a line as each section starts; exits non-zero if any
 * cell errors.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { finishExport, updateIndex, type RunRecord } from "./export-html";
import { findJupyter, hasJupyterSubcommand, installKernelSpec, KERNEL_NAME, PROJECT_ROOT } from "./jupyter";

export const NOTEBOOK_DIR = path.join(PROJECT_ROOT, "notebooks");
export const OUT_DIR = path.join(PROJECT_ROOT, "out", "notebooks");
const CELL_TIMEOUT_S = 600;
/** A cell slower than this gets its own progress line. */
const SLOW_CELL_S = 15;

interface Problem {
  cell: number;
  message: string;
}

interface NotebookJson {
  cells: { cell_type: string; source: string | string[]; outputs?: Record<string, unknown>[] }[];
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

const sourceOf = (c: { source: string | string[] }) => ([] as string[]).concat(c.source).join("");

/** The title of the section ("## ...") each cell belongs to, by cell index. */
export function sectionTitles(nb: NotebookJson): (string | undefined)[] {
  let current: string | undefined;
  return nb.cells.map((c) => {
    const m = c.cell_type === "markdown" ? /^##\s+(.+)$/m.exec(sourceOf(c)) : null;
    if (m) current = m[1].trim();
    return current;
  });
}

function notebookTitle(nb: NotebookJson, fallback: string): string {
  for (const c of nb.cells) {
    const m = c.cell_type === "markdown" ? /^#\s+(.+)$/m.exec(sourceOf(c)) : null;
    if (m) return m[1].trim();
  }
  return fallback;
}

const PY_EXECUTOR = path.join(PROJECT_ROOT, "scripts", "execute-notebook.py");

/** Runs one notebook; `say` gets the progress lines. */
async function runOne(name: string, env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<RunRecord> {
  const started = Date.now();
  const stem = name.replace(/\.ipynb$/, "");
  const source: NotebookJson = JSON.parse(fs.readFileSync(path.join(NOTEBOOK_DIR, name), "utf8"));
  const sections = sectionTitles(source);
  const executedPath = path.join(OUT_DIR, `${stem}.ipynb`);
  const htmlPath = path.join(OUT_DIR, `${stem}.html`);
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const child = spawn("/usr/bin/python3", [PY_EXECUTOR, path.join(NOTEBOOK_DIR, name), executedPath, htmlPath, KERNEL_NAME, String(CELL_TIMEOUT_S)], {
    env,
    cwd: NOTEBOOK_DIR,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let lastSection: string | undefined;
  let cells = 0;
  for await (const line of readline.createInterface({ input: child.stdout })) {
    let ev: { event: string; index?: number; done?: number; cells?: number; seconds?: number };
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    if (ev.event === "start") {
      cells = ev.cells ?? 0;
      say(`  ${stem}: kernel started (${elapsed()}), ${cells} code cells`);
    } else if (ev.event === "cell" && ev.index !== undefined) {
      const section = sections[ev.index];
      if (section !== lastSection && section !== undefined) {
        lastSection = section;
        say(`  ${stem}: § ${section}  (cell ${ev.done}/${ev.cells}, ${elapsed()})`);
      }
      if ((ev.seconds ?? 0) >= SLOW_CELL_S) say(`  ${stem}:   cell ${ev.index} took ${ev.seconds!.toFixed(0)} s`);
    }
  }
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  const problems: string[] = [];
  if (code !== 0 || !fs.existsSync(executedPath) || !fs.existsSync(htmlPath)) {
    problems.push(`execution failed (exit ${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
  } else {
    const executed: NotebookJson = JSON.parse(fs.readFileSync(executedPath, "utf8"));
    problems.push(...findProblems(executed).map((p) => `cell ${p.cell}: ${p.message}`));
    try {
      const finished = await finishExport(fs.readFileSync(htmlPath, "utf8"));
      fs.writeFileSync(htmlPath, finished.html);
    } catch (e) {
      problems.push(`HTML export failed: ${(e as Error).message}`);
    }
  }
  return {
    notebook: name,
    title: notebookTitle(source, stem),
    ok: problems.length === 0,
    problems,
    seconds: (Date.now() - started) / 1000,
    cells,
    ranAt: new Date().toISOString(),
    impl: String(env.LAB_IMPL),
  };
}

/** Runs the named notebooks (all by default), prints progress, updates the index. Returns the records. */
export async function runNotebooks(names: readonly string[], say: (line: string) => void = console.log): Promise<RunRecord[]> {
  const jupyter = findJupyter();
  if (!jupyter || !hasJupyterSubcommand(jupyter, "nbconvert")) {
    throw new Error(
      "run-notebooks: Jupyter's nbconvert was not found. On Debian/Ubuntu: " +
        "apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipython",
    );
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
  const records: RunRecord[] = [];
  for (const [i, name] of names.entries()) {
    say(`▶ ${name} (${i + 1} of ${names.length})`);
    const r = await runOne(name, env, say);
    records.push(r);
    const stem = name.replace(/\.ipynb$/, "");
    if (r.ok) say(`✓ ${name} (${r.seconds.toFixed(1)} s) → ${path.relative(PROJECT_ROOT, path.join(OUT_DIR, stem))}.ipynb, .html`);
    else {
      say(`✗ ${name} (${r.seconds.toFixed(1)} s)`);
      for (const p of r.problems) say(`   ${p}`);
    }
  }
  const index = updateIndex(OUT_DIR, records, listNotebooks());
  say(`${records.filter((r) => r.ok).length} of ${records.length} notebooks ran cleanly (LAB_IMPL=${env.LAB_IMPL}); index: ${path.relative(PROJECT_ROOT, index)}`);
  return records;
}

async function main(): Promise<number> {
  try {
    const records = await runNotebooks(listNotebooks(process.argv.slice(2).filter((a) => !a.startsWith("-"))));
    return records.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
}

if (require.main === module) main().then((code) => process.exit(code));
