/**
 * Plotting for the notebooks, over plotly.js (the cartesian bundle: lines, bars, heatmaps).
 *
 * Works offline: the first figure of a kernel session carries the plotly bundle inline, later
 * figures reuse it. Output is plain text/html, which the classic notebook, JupyterLab (trusted
 * outputs), VS Code notebooks and nbconvert's HTML export all run.
 *
 * Build a figure with heatmap / lines / heatmapGrid, then show(figure).
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import * as tslab from "tslab";

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

type Matrix = number[][] | tf.Tensor;

export interface AxisOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  height?: number;
  width?: number;
}

export interface HeatmapOptions extends AxisOptions {
  /** Column labels (keys / tokens), left to right. */
  x?: readonly (string | number)[];
  /** Row labels (queries / tokens), top to bottom. */
  y?: readonly (string | number)[];
  zmin?: number;
  zmax?: number;
  colorscale?: string;
  /** Write each cell's value in it (good for small matrices). */
  showValues?: boolean;
}

export interface Series {
  name?: string;
  x?: readonly number[];
  y: readonly number[] | Float32Array;
  mode?: "lines" | "markers" | "lines+markers";
  dash?: "solid" | "dash" | "dot";
}

export interface LineOptions extends AxisOptions {
  logX?: boolean;
  logY?: boolean;
}

/** Numbers rounded to 6 significant digits (smaller notebooks); NaN/±Infinity become gaps. */
function clean(v: number): number | null {
  return Number.isFinite(v) ? +v.toPrecision(6) : null;
}

function toMatrix(fn: string, z: Matrix): (number | null)[][] {
  let rows: number[][];
  if (z instanceof tf.Tensor) {
    if (z.rank !== 2) throw new Error(`${fn}: z must be a 2-D tensor [rows, cols], got shape [${z.shape.join(",")}]`);
    rows = z.arraySync() as number[][];
  } else if (Array.isArray(z) && z.every((r) => Array.isArray(r))) {
    rows = z;
  } else {
    throw new Error(`${fn}: z must be a 2-D tf.Tensor or number[][]`);
  }
  const cols = rows[0]?.length ?? 0;
  if (rows.length === 0 || cols === 0 || rows.some((r) => r.length !== cols)) {
    throw new Error(`${fn}: z must be a non-empty rectangular matrix`);
  }
  return rows.map((r) => r.map(clean));
}

function checkLabels(fn: string, what: string, labels: readonly unknown[] | undefined, n: number): string[] | undefined {
  if (labels === undefined) return undefined;
  if (labels.length !== n) throw new Error(`${fn}: ${what} has ${labels.length} labels for ${n} ${what === "x" ? "columns" : "rows"}`);
  // Plotly merges equal category labels; make repeated tokens unique with invisible suffixes.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const s = String(l);
    const k = seen.get(s) ?? 0;
    seen.set(s, k + 1);
    return k === 0 ? s : s + "\u200b".repeat(k);
  });
}

function baseLayout(o: AxisOptions): Record<string, unknown> {
  return {
    title: o.title ? { text: o.title } : undefined,
    height: o.height ?? 420,
    width: o.width,
    margin: { l: 70, r: 30, t: o.title ? 50 : 20, b: 60 },
    // automargin: long tick labels (e.g. whole sentences on a heatmap's rows) grow the margin
    // instead of being cut off or drawn over the axis title.
    xaxis: { title: { text: o.xTitle ?? "" }, automargin: true },
    yaxis: { title: { text: o.yTitle ?? "" }, automargin: true },
  };
}

/**
 * A heatmap read like a matrix: row 0 at the top (attention: query i is row i, key j column j).
 */
export function heatmap(z: Matrix, o: HeatmapOptions = {}): Figure {
  const rows = toMatrix("heatmap", z);
  const x = checkLabels("heatmap", "x", o.x, rows[0].length);
  const y = checkLabels("heatmap", "y", o.y, rows.length);
  const layout = baseLayout(o);
  layout.xaxis = { ...(layout.xaxis as object), type: x ? "category" : undefined, side: "bottom" };
  layout.yaxis = { ...(layout.yaxis as object), type: y ? "category" : undefined, autorange: "reversed" };
  return {
    data: [
      {
        type: "heatmap",
        z: rows,
        x,
        y,
        zmin: o.zmin,
        zmax: o.zmax,
        colorscale: o.colorscale ?? "Viridis",
        texttemplate: o.showValues ? "%{z:.2f}" : undefined,
        hovertemplate: "row %{y}<br>col %{x}<br>value %{z:.4g}<extra></extra>",
      },
    ],
    layout,
  };
}

/** Line chart of one or more series (log axes optional, e.g. for time vs n). */
export function lines(series: readonly Series[], o: LineOptions = {}): Figure {
  if (series.length === 0) throw new Error("lines: give at least one series");
  const layout = baseLayout(o);
  layout.xaxis = { ...(layout.xaxis as object), type: o.logX ? "log" : "linear" };
  layout.yaxis = { ...(layout.yaxis as object), type: o.logY ? "log" : "linear" };
  const data = series.map((s, i) => {
    const y = Array.from(s.y, clean);
    const x = s.x ? Array.from(s.x, clean) : y.map((_, j) => j);
    if (x.length !== y.length) throw new Error(`lines: series ${s.name ?? i} has ${x.length} x values and ${y.length} y values`);
    return { type: "scatter", mode: s.mode ?? "lines+markers", name: s.name, x, y, line: { dash: s.dash ?? "solid" } };
  });
  return { data, layout };
}

/** A grid of small heatmaps sharing labels and colour range (e.g. one per attention head). */
export function heatmapGrid(
  panels: readonly { z: Matrix; title?: string }[],
  o: HeatmapOptions & { cols?: number } = {},
): Figure {
  if (panels.length === 0) throw new Error("heatmapGrid: give at least one panel");
  const cols = Math.min(o.cols ?? 4, panels.length);
  const nRows = Math.ceil(panels.length / cols);
  const base = baseLayout({ ...o, height: o.height ?? 260 * nRows + 40 });
  const panelTitles = panels.some((p) => p.title);
  const layout: Record<string, unknown> = {
    ...base,
    // Room above the first row for its panel titles.
    margin: { ...(base.margin as object), t: (o.title ? 50 : 20) + (panelTitles ? 25 : 0) },
    grid: { rows: nRows, columns: cols, pattern: "independent", xgap: 0.08, ygap: 0.18 },
    annotations: [] as unknown[],
  };
  const data = panels.map((p, i) => {
    const rows = toMatrix("heatmapGrid", p.z);
    const suffix = i === 0 ? "" : String(i + 1);
    // Axis titles on the outer panels only (left column, bottom row): between panels they overlap.
    const xTitle = i + cols >= panels.length ? o.xTitle ?? "" : "";
    const yTitle = i % cols === 0 ? o.yTitle ?? "" : "";
    layout[`xaxis${suffix}`] = { type: o.x ? "category" : undefined, title: { text: xTitle }, automargin: true };
    // Row labels (e.g. words) are shared: drawn once, left of the first column. On inner panels
    // they would spill into the gap and over the neighbouring panel.
    const yLabels = o.y === undefined || i % cols === 0;
    layout[`yaxis${suffix}`] = { type: o.y ? "category" : undefined, autorange: "reversed", title: { text: yTitle }, automargin: true, showticklabels: yLabels };
    if (p.title) {
      (layout.annotations as unknown[]).push({
        text: p.title, showarrow: false, xref: `x${suffix} domain`, yref: `y${suffix} domain`,
        x: 0.5, y: 1, xanchor: "center", yanchor: "bottom", yshift: 4,
      });
    }
    return {
      type: "heatmap",
      z: rows,
      x: checkLabels("heatmapGrid", "x", o.x, rows[0].length),
      y: checkLabels("heatmapGrid", "y", o.y, rows.length),
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      zmin: o.zmin,
      zmax: o.zmax,
      colorscale: o.colorscale ?? "Viridis",
      showscale: i === 0,
    };
  });
  return { data, layout };
}

let bundle: string | undefined;

/** The plotly bundle as an inline <script>, shielded from AMD/CommonJS loaders in the page. */
export function plotlyBundleHtml(): string {
  bundle ??= fs.readFileSync(require.resolve("plotly.js-cartesian-dist-min"), "utf8");
  return `<script>(function(){var module, exports, define;\n${bundle}\n}).call(window);</script>`;
}

let figureCount = 0;

/** The HTML of one figure: a div and a script that draws it once Plotly is in the page. */
export function figureHtml(fig: Figure, id = `lab-plot-${process.pid}-${Date.now().toString(36)}-${++figureCount}`): string {
  const json = JSON.stringify({ data: fig.data, layout: fig.layout }).replace(/</g, "\\u003c");
  const height = Number(fig.layout.height ?? 420);
  return (
    `<div id="${id}" class="lab-plot" style="width:100%;height:${height}px"></div>\n` +
    `<script>(function(){var id=${JSON.stringify(id)},fig=${json},tries=0;` +
    `function draw(){var el=document.getElementById(id);if(!el)return;` +
    `if(window.Plotly){window.Plotly.newPlot(el,fig.data,fig.layout,{responsive:true,displaylogo:false});return;}` +
    `if(++tries<200){setTimeout(draw,50);return;}` +
    `el.textContent="This plot needs Plotly, which the first plot of the notebook loads: restart the kernel and run all cells.";}` +
    `draw();})();</script>`
  );
}

let bundleShown = false;

export function inNotebook(): boolean {
  return typeof (globalThis as { __tslab__?: unknown }).__tslab__ !== "undefined";
}

function titleOf(fig: Figure): string {
  return (fig.layout.title as { text?: string } | undefined)?.text ?? "untitled";
}

/** The bundle the first time a kernel session shows a figure, then nothing. */
function bundleOnce(): string {
  const html = bundleShown ? "" : plotlyBundleHtml();
  bundleShown = true;
  return html;
}

/** Displays a figure in the notebook (outside a notebook it prints a one-line note instead). */
export function show(fig: Figure): void {
  if (!inNotebook()) {
    console.log(`[plot: ${titleOf(fig)}, ${fig.data.length} trace(s); shown in a notebook]`);
    return;
  }
  tslab.display.html(bundleOnce() + figureHtml(fig));
}

/** A figure that is redrawn in place (training curves): each update replaces the last. */
export interface LivePlot {
  update(fig: Figure, caption?: string): void;
}

/** A live plot in the notebook; outside a notebook, updates print their caption only. */
export function livePlot(): LivePlot {
  if (!inNotebook()) {
    return { update: (_fig, caption) => { if (caption) console.log(caption); } };
  }
  const bundle = bundleOnce();
  if (bundle) tslab.display.html(bundle); // its own output, so replacing the figure keeps it
  const handle = tslab.newDisplay();
  return {
    update(fig: Figure, caption?: string): void {
      const text = caption ? `<pre style="margin:0">${caption.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</pre>` : "";
      handle.html(text + figureHtml(fig));
    },
  };
}
