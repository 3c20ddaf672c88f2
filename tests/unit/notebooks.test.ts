/**
 * Notebooks: committed clean; every one executes top to bottom under real Jupyter with the
 * course kernel and the reference solutions (the runner of `npm run notebooks`); the exported
 * pages work from a copied folder, offline, with and without scripts; the course index.
 * Screenshots: out/screenshots/export-*.png.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findProblems, listNotebooks, NOTEBOOK_DIR, OUT_DIR, runNotebooks, sectionTitles } from "../../scripts/run-notebooks";
import { launchChromium, SCREENSHOTS } from "./browser";
import { progress } from "./progress";

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

  it("knows which section each cell is in (for its progress lines)", () => {
    expect(sectionTitles({ cells: [
      { cell_type: "markdown", source: "# Title" },
      { cell_type: "code", source: "1" },
      { cell_type: "markdown", source: ["## 1. Setup\n", "text"] },
      { cell_type: "code", source: "2" },
    ] })).toEqual([undefined, undefined, "1. Setup", "1. Setup"]);
  });

  it("every notebook executes cleanly with the reference solutions; outputs keep execution counts and no plotting library", async () => {
    const old = process.env.LAB_IMPL;
    process.env.LAB_IMPL = "solutions";
    try {
      progress(`executing ${listNotebooks().length} notebooks with the reference solutions (about 1-3 min each on 2 cores)`);
      const records = await runNotebooks(listNotebooks(), (line) => progress(line));
      expect(records.filter((r) => !r.ok).map((r) => `${r.notebook}: ${r.problems.join("; ")}`)).toEqual([]);
    } finally {
      if (old === undefined) delete process.env.LAB_IMPL;
      else process.env.LAB_IMPL = old;
    }
    for (const name of listNotebooks()) {
      const stem = name.replace(/\.ipynb$/, "");
      const file = path.join(OUT_DIR, `${stem}.ipynb`);
      const executed = read(file);
      const code = executed.cells.filter((c) => c.cell_type === "code");
      expect(code.every((c) => (c.outputs ?? []).every((o) => o.output_type !== "error"))).toBe(true);
      expect(code.map((c) => c.execution_count), `${name}: execution counts 1..n`).toEqual(code.map((_, i) => i + 1));
      const text = fs.readFileSync(file, "utf8");
      expect(text, `${name}: no plotting library in the notebook`).not.toContain("window.Plotly = Plotly");
      expect(text.length, `${name}: executed notebook size`).toBeLessThan(1_500_000);
      const html = fs.readFileSync(path.join(OUT_DIR, `${stem}.html`), "utf8");
      expect((html.match(/class=\\?"lab-plot\\?"/g) ?? []).length, `${name} draws at least one plot`).toBeGreaterThan(0);
      expect(html.split("window.Plotly = Plotly").length - 1, `${name}: plotly inlined exactly once`).toBe(1);
      expect(html, `${name}: nothing loaded from this machine's disk`).not.toMatch(/src="file:|href="file:/);
      expect(html, `${name}: nothing loaded from the network`).not.toMatch(/<script[^>]+src="https?:|<link[^>]+href="https?:/);
      expect(html, `${name}: prompts show the execution counts`).toMatch(/In&nbsp;\[1\]:/);
    }
    const index = fs.readFileSync(path.join(OUT_DIR, "index.html"), "utf8");
    for (const name of listNotebooks()) expect(index).toContain(`href="${name.replace(/\.ipynb$/, ".html")}"`);
    expect((index.match(/✓ ran cleanly/g) ?? []).length).toBe(listNotebooks().length);
  }, 1_800_000);
});

describe("exported pages, copied to another folder and opened offline", () => {
  let browser: Browser | undefined;
  let copy = "";
  beforeAll(async () => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "lab-export-copy-"));
    for (const f of fs.readdirSync(OUT_DIR)) if (/\.(html|ipynb)$/.test(f)) fs.copyFileSync(path.join(OUT_DIR, f), path.join(copy, f));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  });

  async function open(file: string, javaScriptEnabled: boolean): Promise<{ page: Page; requests: string[]; close(): Promise<void> }> {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled, offline: true });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
    await page.goto(`file://${path.join(copy, file)}`);
    return { page, requests, close: () => context.close() };
  }

  it("every plot is drawn by Plotly and every formula is typeset; the page asks for nothing outside itself", async () => {
    for (const name of listNotebooks()) {
      const file = name.replace(/\.ipynb$/, ".html");
      expect(fs.existsSync(path.join(copy, file)), `${file} (made by the runner test)`).toBe(true);
      progress(`opening the exported ${file} in Chromium, offline`);
      const { page, requests, close } = await open(file, true);
      await page.waitForFunction(() => Array.from(document.querySelectorAll(".lab-plot")).every((el) => el.classList.contains("js-plotly-plot") || el.getAttribute("title")), undefined, { timeout: 120_000 });
      const stats = await page.evaluate(() => ({
        plots: document.querySelectorAll(".lab-plot").length,
        drawn: document.querySelectorAll(".lab-plot.js-plotly-plot").length,
        heatmaps: document.querySelectorAll(".lab-plot g.hm").length,
        maths: document.querySelectorAll("mjx-container > svg").length,
        // TeX left as text in what is rendered as markdown (cells and outputs); code cells may hold "${x}\n".
        rawTex: Array.from(document.querySelectorAll(".jp-RenderedMarkdown"))
          .flatMap((el) => (el as HTMLElement).innerText.match(/\$[^$\n]{1,40}\\[a-z]+/g) ?? [])
          .slice(0, 3),
      }));
      if (name.startsWith("01-")) {
        await page.evaluate(() => document.querySelectorAll(".lab-plot")[2]?.scrollIntoView());
        await page.screenshot({ path: path.join(SCREENSHOTS, "export-01-plot.png") });
        await page.evaluate(() => document.querySelectorAll("mjx-container")[8]?.scrollIntoView());
        await page.screenshot({ path: path.join(SCREENSHOTS, "export-01-maths.png") });
        expect(stats.heatmaps, "heatmaps in notebook 01").toBeGreaterThan(0);
      }
      await close();
      expect(stats.plots, `${name} has plots`).toBeGreaterThan(0);
      expect(stats.drawn, `${name}: plots drawn by Plotly`).toBe(stats.plots);
      expect(stats.maths, `${name}: typeset formulas`).toBeGreaterThan(5);
      expect(stats.rawTex, `${name}: TeX left untypeset`).toEqual([]);
      expect(requests, `${name}: requests outside the file`).toEqual([]);
    }
  }, 600_000);

  it("with scripts off, every plot shows its static picture", async () => {
    const { page, close } = await open("01-attention.html", false);
    await page.waitForLoadState("load");
    const stats = await page.evaluate(() => ({
      plots: document.querySelectorAll(".lab-plot").length,
      pictures: Array.from(document.querySelectorAll(".lab-plot img")).filter((img) => (img as HTMLImageElement).naturalWidth > 100 && img.getBoundingClientRect().height > 100).length,
    }));
    await page.evaluate(() => document.querySelectorAll(".lab-plot")[7]?.scrollIntoView());
    await page.screenshot({ path: path.join(SCREENSHOTS, "export-01-no-scripts.png") });
    await close();
    expect(stats.plots).toBeGreaterThan(5);
    expect(stats.pictures).toBe(stats.plots);
  }, 120_000);

  it("the course index links every notebook with its status and run time", async () => {
    const { page, close } = await open("index.html", true);
    const links = await page.evaluate(() => Array.from(document.querySelectorAll("td a")).map((a) => a.getAttribute("href")));
    await page.screenshot({ path: path.join(SCREENSHOTS, "export-index.png") });
    await close();
    for (const name of listNotebooks()) expect(links).toContain(name.replace(/\.ipynb$/, ".html"));
  }, 120_000);
});
