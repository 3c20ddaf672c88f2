/**
 * The student's real UI: Jupyter's classic notebook (Debian's jupyter-notebook) in headless
 * Chromium, driven by Playwright. Runs notebook 01 with the reference solutions through the UI
 * (Cell > Run All) and checks that every plot is drawn on the page (the classic notebook loads
 * require.js, which the inlined plotly bundle must not trip over) and that no cell errors.
 * The notebooks are served from a copy, so the notebook's autosave never touches notebooks/.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { findJupyter, installKernelSpec } from "../../scripts/jupyter";

const ROOT = path.resolve(__dirname, "..", "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForServer(url: string, server: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`jupyter notebook exited with ${server.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`jupyter notebook did not answer at ${url} within ${ms} ms`);
}

describe("classic Jupyter notebook UI", () => {
  let server: ChildProcess | undefined;
  let dir: string | undefined;

  afterAll(() => {
    if (server && server.exitCode === null) process.kill(-server.pid!, "SIGKILL");
    // Kernels run in sessions of their own; their connection files live in our runtime dir.
    if (dir) {
      spawnSync("pkill", ["-KILL", "-f", path.join(dir, "runtime")]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs notebook 01 with Run All: every plot drawn, no error output", async () => {
    const jupyter = findJupyter();
    expect(jupyter, "Jupyter is installed (apt-get install jupyter-notebook)").toBeDefined();
    expect(spawnSync(jupyter!, ["notebook", "--version"]).status, "the classic notebook is installed (apt-get install jupyter-notebook)").toBe(0);

    fs.mkdirSync(path.join(ROOT, "out"), { recursive: true });
    dir = fs.mkdtempSync(path.join(ROOT, "out", "classic-ui-"));
    const nbDir = path.join(dir, "notebooks");
    fs.mkdirSync(nbDir);
    fs.copyFileSync(path.join(ROOT, "notebooks", "01-attention.ipynb"), path.join(nbDir, "01-attention.ipynb"));
    fs.symlinkSync(path.join(ROOT, "lib"), path.join(nbDir, "lib"));
    fs.symlinkSync(path.join(ROOT, "solutions"), path.join(nbDir, "solutions"));
    const jupyterPath = path.join(dir, "jupyter");
    installKernelSpec(jupyterPath);

    const port = await freePort();
    const args = ["notebook", "--no-browser", `--port=${port}`, "--ip=127.0.0.1", "--NotebookApp.token=", "--NotebookApp.password=", `--notebook-dir=${nbDir}`];
    if (process.getuid?.() === 0) args.push("--allow-root");
    server = spawn(jupyter!, args, {
      cwd: nbDir,
      detached: true, // its own process group, so the kernel goes down with it
      stdio: "ignore",
      env: {
        ...process.env,
        JUPYTER_PATH: jupyterPath,
        JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
        LAB_IMPL: "solutions",
        PYDEVD_DISABLE_FILE_VALIDATION: "1",
      },
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForServer(`${base}/api`, server, 60_000);

    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${base}/notebooks/01-attention.ipynb`);
      await page.waitForFunction(() => {
        const nb = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter?.notebook;
        return Boolean(nb?.kernel?.is_connected());
      }, undefined, { timeout: 120_000 });
      await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
      // Done when no code cell is queued or running ("*") and every one has an execution count.
      await page.waitForFunction(() => {
        type Cell = { cell_type: string; input_prompt_number?: number | string | null };
        const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } } }).Jupyter.notebook.get_cells();
        return cells.every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number");
      }, undefined, { timeout: 600_000, polling: 1000 });
      await page.waitForTimeout(2000); // let the last plots draw
      const stats = await page.evaluate(() => ({
        plots: document.querySelectorAll(".lab-plot").length,
        drawn: document.querySelectorAll(".lab-plot.js-plotly-plot").length,
        heatmaps: document.querySelectorAll(".lab-plot g.hm").length,
        errors: Array.from(document.querySelectorAll(".output_error, .output_stderr")).map((e) => (e.textContent ?? "").slice(0, 300)),
        checkTables: Array.from(document.querySelectorAll(".output_markdown table")).length,
        // The classic notebook right-aligns table cells by default: the grade tables must read left to right.
        checkAlign: [...new Set(Array.from(document.querySelectorAll(".output_markdown table td, .output_markdown table th")).map((e) => getComputedStyle(e).textAlign))],
      }));
      expect(stats.errors).toEqual([]);
      expect(stats.plots).toBeGreaterThan(5);
      expect(stats.drawn).toBe(stats.plots);
      expect(stats.heatmaps).toBeGreaterThan(0);
      expect(stats.checkTables, "the check cells' grade tables").toBe(4);
      expect(stats.checkAlign, "text alignment of the grade tables' cells").toEqual(["left"]);
    } finally {
      await browser.close();
    }
  }, 900_000);
});
