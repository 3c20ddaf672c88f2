/**
 * The student's real UI: Jupyter's classic notebook (Debian's jupyter-notebook) in headless
 * Chromium, driven by Playwright, on a copy of notebook 01 with the reference solutions:
 * - Run All: every plot drawn interactively, the check tables shown, no errors;
 * - a tab reload while the kernel keeps running: saved plots redraw and a re-run plot draws
 *   (the page lost Plotly; the plots fetch it from the server's kernel spec folder);
 * - save, shut the kernel down, reopen: the file carries no plotting library, every plot draws;
 * - an untrusted copy (Jupyter runs none of its scripts): every plot shows its static picture.
 * Screenshots of each step: out/screenshots/classic-*.png.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findJupyter, installKernelSpec } from "../../scripts/jupyter";
import { launchChromium, SCREENSHOTS, startNotebookServer, type NotebookServer } from "./browser";
import { progress } from "./progress";

const ROOT = path.resolve(__dirname, "..", "..");
const NB = "01-attention.ipynb";

type Win = { Jupyter: { notebook: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function openNotebook(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => Boolean((window as unknown as Win).Jupyter?.notebook?.kernel?.is_connected()), undefined, { timeout: 120_000 });
}

/** Waits until no code cell is queued or running and every one has an execution count. */
async function waitAllRan(page: Page, ms: number): Promise<void> {
  await page.waitForFunction(() => {
    const cells = (window as unknown as Win).Jupyter.notebook.get_cells() as { cell_type: string; input_prompt_number?: unknown }[];
    return cells.every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number");
  }, undefined, { timeout: ms, polling: 1000 });
}

/** Waits until every plot on the page is either drawn by Plotly or has given up (static picture + tooltip). */
async function plotStats(page: Page, scripts = true) {
  await page.waitForFunction(() => Boolean((window as unknown as Win).Jupyter?.notebook?._fully_loaded), undefined, { timeout: 60_000 });
  if (scripts) {
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".lab-plot")).every((el) => el.classList.contains("js-plotly-plot") || el.getAttribute("title")), undefined, { timeout: 60_000 }).catch(() => undefined);
  }
  return page.evaluate(() => ({
    plots: document.querySelectorAll(".lab-plot").length,
    drawn: document.querySelectorAll(".lab-plot.js-plotly-plot").length,
    heatmaps: document.querySelectorAll(".lab-plot g.hm").length,
    pictures: Array.from(document.querySelectorAll(".lab-plot img")).filter((img) => (img as HTMLImageElement).naturalWidth > 100 && img.getBoundingClientRect().height > 100).length,
    errors: Array.from(document.querySelectorAll(".output_error, .output_stderr")).map((e) => (e.textContent ?? "").slice(0, 300)),
    checkTables: document.querySelectorAll(".output_markdown table").length,
    // The classic notebook right-aligns table cells by default: the grade tables must read left to right.
    checkAlign: [...new Set(Array.from(document.querySelectorAll(".output_markdown table td, .output_markdown table th")).map((e) => getComputedStyle(e).textAlign))],
    trusted: (window as unknown as Win).Jupyter.notebook.trusted as boolean,
  }));
}

async function shot(page: Page, name: string, selector = ".lab-plot", index = 0): Promise<void> {
  await page.evaluate(([sel, i]) => document.querySelectorAll(sel as string)[i as number]?.scrollIntoView(), [selector, index] as const);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SCREENSHOTS, `classic-${name}.png`) });
}

describe("classic Jupyter notebook UI", () => {
  let server: NotebookServer | undefined;
  let browser: Browser | undefined;
  let dir = "";
  let nbDir = "";

  beforeAll(async () => {
    const jupyter = findJupyter();
    if (!jupyter || spawnSync(jupyter, ["notebook", "--version"]).status !== 0) {
      throw new Error("the classic notebook is not installed (apt-get install jupyter-notebook)");
    }
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    dir = fs.mkdtempSync(path.join(ROOT, "out", "classic-ui-"));
    nbDir = path.join(dir, "notebooks");
    fs.mkdirSync(nbDir);
    fs.copyFileSync(path.join(ROOT, "notebooks", NB), path.join(nbDir, NB));
    fs.symlinkSync(path.join(ROOT, "lib"), path.join(nbDir, "lib"));
    fs.symlinkSync(path.join(ROOT, "solutions"), path.join(nbDir, "solutions"));
    const jupyterPath = path.join(dir, "jupyter");
    installKernelSpec(jupyterPath);
    server = await startNotebookServer(jupyter, nbDir, dir, jupyterPath);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let page: Page;

  it("Run All: every plot drawn interactively, the check tables shown, no error output", async () => {
    page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    await openNotebook(page, `${server!.base}/notebooks/${NB}`);
    progress(`classic notebook UI: Run All on ${NB} (about 2 min on 2 cores)`);
    await page.evaluate(() => (window as unknown as Win).Jupyter.notebook.execute_all_cells());
    await waitAllRan(page, 600_000);
    const stats = await plotStats(page);
    await shot(page, "1-run-all", ".lab-plot", 2);
    expect(stats.errors).toEqual([]);
    expect(stats.plots).toBeGreaterThan(5);
    expect(stats.drawn).toBe(stats.plots);
    expect(stats.heatmaps).toBeGreaterThan(0);
    expect(stats.checkTables, "the check cells' grade tables").toBe(4);
    expect(stats.checkAlign, "text alignment of the grade tables' cells").toEqual(["left"]);
  }, 900_000);

  it("after a tab reload with the kernel still running, saved plots redraw and a re-run plot draws", async () => {
    await page.evaluate(() => (window as unknown as Win).Jupyter.notebook.save_notebook());
    await page.waitForTimeout(1000);
    progress("classic notebook UI: tab reload with the kernel running");
    const kernelBefore = await page.evaluate(() => (window as unknown as Win).Jupyter.notebook.kernel.id as string);
    await page.reload();
    await page.waitForFunction(() => Boolean((window as unknown as Win).Jupyter?.notebook?.kernel?.is_connected()), undefined, { timeout: 120_000 });
    expect(await page.evaluate(() => (window as unknown as Win).Jupyter.notebook.kernel.id as string), "the same kernel").toBe(kernelBefore);
    const saved = await plotStats(page);
    expect(saved.drawn).toBe(saved.plots);
    // Re-run the causal-mask plot cell: its new output must draw too.
    const index = await page.evaluate(() => {
      const cells = (window as unknown as Win).Jupyter.notebook.get_cells() as { cell_type: string; get_text(): string }[];
      return cells.findIndex((c) => c.cell_type === "code" && c.get_text().includes("show(heatmap(causalMask"));
    });
    expect(index).toBeGreaterThan(0);
    const before = await page.evaluate((i) => (window as unknown as Win).Jupyter.notebook.get_cell(i).input_prompt_number as number, index);
    await page.evaluate((i) => (window as unknown as Win).Jupyter.notebook.execute_cells([i]), index);
    await page.waitForFunction(([i, n]) => {
      const cell = (window as unknown as Win).Jupyter.notebook.get_cell(i);
      return typeof cell.input_prompt_number === "number" && cell.input_prompt_number > n && cell.element[0].querySelector(".lab-plot.js-plotly-plot");
    }, [index, before] as const, { timeout: 120_000 });
    await page.evaluate((i) => (window as unknown as Win).Jupyter.notebook.get_cell(i).element[0].scrollIntoView(), index);
    await page.screenshot({ path: path.join(SCREENSHOTS, "classic-2-after-reload.png") });
    const after = await plotStats(page);
    expect(after.drawn).toBe(after.plots);
  }, 300_000);

  it("saved and reopened with no kernel running: the file has no plotting library and every plot draws", async () => {
    progress("classic notebook UI: save, shut the kernel down, reopen");
    await page.evaluate(() => (window as unknown as Win).Jupyter.notebook.save_notebook());
    await page.waitForTimeout(1000);
    const sessions = (await (await fetch(`${server!.base}/api/sessions`)).json()) as { id: string }[];
    await Promise.all(sessions.map((s) => fetch(`${server!.base}/api/sessions/${s.id}`, { method: "DELETE" })));
    await page.close();
    const file = fs.readFileSync(path.join(nbDir, NB), "utf8");
    expect(file).not.toContain("window.Plotly = Plotly");
    expect(file.length, "saved notebook size").toBeLessThan(600_000);
    expect((file.match(/application\/vnd\.plotly\.v1\+json/g) ?? []).length).toBeGreaterThan(5);
    page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${server!.base}/notebooks/${NB}`);
    const stats = await plotStats(page);
    await shot(page, "3-reopened", ".lab-plot", 4);
    expect(stats.trusted).toBe(true);
    expect(stats.plots).toBeGreaterThan(5);
    expect(stats.drawn).toBe(stats.plots);
  }, 300_000);

  it("an untrusted copy shows every plot as its static picture (no scripts run)", async () => {
    progress("classic notebook UI: an untrusted copy");
    const nb = JSON.parse(fs.readFileSync(path.join(nbDir, NB), "utf8"));
    nb.metadata.copied = "a change the server did not sign";
    fs.writeFileSync(path.join(nbDir, "untrusted.ipynb"), JSON.stringify(nb));
    const p = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    await p.goto(`${server!.base}/notebooks/untrusted.ipynb`);
    await p.waitForFunction(() => document.querySelectorAll(".lab-plot img").length > 5, undefined, { timeout: 60_000 });
    await p.waitForTimeout(1500);
    const stats = await plotStats(p, false);
    await shot(p, "4-untrusted", ".lab-plot", 5);
    expect(stats.trusted).toBe(false);
    expect(stats.drawn).toBe(0);
    expect(stats.pictures).toBe(stats.plots);
    await p.close();
  }, 300_000);
});
