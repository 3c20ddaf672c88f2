/**
 * Notebooks: committed clean, and every one executes top to bottom under real Jupyter with the
 * tslab kernel and the reference solutions (through the same runner as `npm run notebooks`).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { findProblems, listNotebooks, NOTEBOOK_DIR, OUT_DIR } from "../../scripts/run-notebooks";

const ROOT = path.resolve(__dirname, "..", "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");

interface Notebook {
  cells: { cell_type: string; id?: string; source: string | string[]; outputs?: Record<string, unknown>[]; execution_count?: number | null }[];
  metadata: { kernelspec?: { name: string } };
}

const read = (file: string): Notebook => JSON.parse(fs.readFileSync(file, "utf8"));

describe("notebooks as committed", () => {
  const names = listNotebooks();

  it("there are notebooks 00 and 01", () => {
    expect(names.some((n) => n.startsWith("00-"))).toBe(true);
    expect(names.some((n) => n.startsWith("01-"))).toBe(true);
  });

  for (const name of names) {
    it(`${name}: no outputs, the course kernel, cell ids`, () => {
      const nb = read(path.join(NOTEBOOK_DIR, name));
      expect(nb.metadata.kernelspec?.name).toBe("attention-lab");
      for (const cell of nb.cells) {
        expect(cell.id, "every cell has an id").toBeTruthy();
        if (cell.cell_type === "code") {
          expect(cell.outputs, "outputs cleared").toEqual([]);
          expect(cell.execution_count ?? null).toBeNull();
        }
      }
    });
  }
});

describe("notebook runner", () => {
  it("finds error outputs and kernel stderr", () => {
    const problems = findProblems({
      cells: [
        { cell_type: "code", outputs: [{ output_type: "stream", name: "stdout", text: "fine" }] },
        { cell_type: "code", outputs: [{ output_type: "error", ename: "Error", evalue: "boom" }] },
        { cell_type: "code", outputs: [{ output_type: "stream", name: "stderr", text: ["1:1 - Cannot find name 'x'."] }] },
      ],
    });
    expect(problems).toEqual([
      { cell: 1, message: "Error: boom" },
      { cell: 2, message: "stderr: 1:1 - Cannot find name 'x'." },
    ]);
  });

  it("every notebook executes cleanly with the reference solutions and exports HTML with its plots", () => {
    const run = spawnSync(process.execPath, [TS_NODE, "--transpile-only", "scripts/run-notebooks.ts"], {
      cwd: ROOT,
      env: { ...process.env, LAB_IMPL: "solutions" },
      encoding: "utf8",
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const name of listNotebooks()) {
      const stem = name.replace(/\.ipynb$/, "");
      const executed = read(path.join(OUT_DIR, `${stem}.ipynb`));
      const code = executed.cells.filter((c) => c.cell_type === "code");
      expect(code.every((c) => (c.outputs ?? []).every((o) => o.output_type !== "error"))).toBe(true);
      const html = fs.readFileSync(path.join(OUT_DIR, `${stem}.html`), "utf8");
      const plots = (html.match(/class=\\?"lab-plot\\?"/g) ?? []).length;
      expect(plots, `${name} draws at least one plot`).toBeGreaterThan(0);
      // The bundle is embedded exactly once, so the exported page works offline.
      expect(html.split("window.Plotly = Plotly").length - 1).toBe(1);
    }
  }, 1_200_000);

  it("in headless Chromium, every plot of every exported notebook is drawn (heatmaps included)", () => {
    for (const name of listNotebooks()) {
      const html = path.join(OUT_DIR, name.replace(/\.ipynb$/, ".html"));
      expect(fs.existsSync(html), `${html} (made by the previous test)`).toBe(true);
      const dom = renderedDom(html);
      const divs = (dom.match(/class="lab-plot[ "]/g) ?? []).length;
      const drawn = (dom.match(/class="lab-plot js-plotly-plot"/g) ?? []).length;
      expect(divs, `${name} has plots`).toBeGreaterThan(0);
      expect(drawn, `${name}: plots drawn by Plotly`).toBe(divs);
      expect(dom, "a plot div shows the no-Plotly fallback text").not.toMatch(/class="lab-plot[^"]*"[^>]*>This plot needs Plotly/);
    }
    const attention = renderedDom(path.join(OUT_DIR, "01-attention.html"));
    expect((attention.match(/<g class="hm"/g) ?? []).length, "heatmaps in notebook 01").toBeGreaterThan(0);
  }, 300_000);
});

/** The page's DOM after its scripts ran, from Debian's headless Chromium (offline flags). */
function renderedDom(htmlFile: string): string {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-chromium-"));
  try {
    const run = spawnSync(
      "chromium",
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        `--user-data-dir=${userDir}`, "--virtual-time-budget=15000", "--dump-dom", `file://${htmlFile}`,
      ],
      { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
    );
    if (run.error) throw new Error(`headless Chromium did not run (apt-get install chromium): ${run.error.message}`);
    return run.stdout;
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}
