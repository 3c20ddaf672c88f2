/**
 * Plotting for the notebooks, over plotly.js (the cartesian bundle: lines, bars, heatmaps).
 *
 * Build a figure with heatmap / lines / heatmapGrid, then show(figure); livePlot() for a figure
 * that is redrawn in place (training curves). Every figure is sent as ONE output holding:
 *   - text/html: the static SVG picture, and a script that swaps in the interactive plotly
 *     version. The script gets Plotly from the page (the exported HTML inlines it once), or
 *     else from the Jupyter server, which serves it from the kernel spec folder (`npm start`
 *     puts plotly.min.js there): so plots draw after a tab reload and in a reopened notebook,
 *     and saved notebooks never carry the 1.5 MB library;
 *   - application/vnd.plotly.v1+json: the figure itself, which JupyterLab (with its plotly
 *     extension) and VS Code draw natively;
 *   - image/svg+xml: the static picture alone (plot-svg.ts), for viewers that run no scripts;
 *   - text/plain: a one-line description.
 * If Plotly cannot be had (a page opened from disk without the exported bundle), the static
 * picture stays.
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { displayBundle, newDisplayHandle, type MimeBundle } from "./display";
import { figureSvg, type ColorscaleName } from "./plot-svg";

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
  /** What the colour means (the colour bar's title), e.g. "attention weight". */
  zTitle?: string;
  colorscale?: ColorscaleName;
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
    // exponentformat "power": tick labels like 10⁻⁴, not plotly's default SI letters ("100μ").
    xaxis: { title: { text: o.xTitle ?? "" }, automargin: true, exponentformat: "power" },
    yaxis: { title: { text: o.yTitle ?? "" }, automargin: true, exponentformat: "power" },
  };
}

function colorbar(o: HeatmapOptions): Record<string, unknown> {
  return { title: { text: o.zTitle ?? "", side: "right" }, exponentformat: "power" };
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
        colorbar: colorbar(o),
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
  // Log axes: labels at 1, 2 and 5 of each decade ("D2"); plotly's default labels every digit,
  // which crowds short ranges with small 3, 4, 6, 7, 8, 9 labels.
  const logAxis = { type: "log", dtick: "D2" };
  layout.xaxis = { ...(layout.xaxis as object), ...(o.logX ? logAxis : { type: "linear" }) };
  layout.yaxis = { ...(layout.yaxis as object), ...(o.logY ? logAxis : { type: "linear" }) };
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
  const height = o.height ?? 260 * nRows + 40;
  const base = baseLayout({ ...o, height });
  const panelTitles = panels.some((p) => p.title);
  const matrices = panels.map((p) => toMatrix("heatmapGrid", p.z));
  // Panels of one shape share their axes' meaning: tick labels on the outer panels only (bottom
  // row, left column). Between panels they would collide with the next panel's title or spill
  // over its neighbour; panels of different shapes keep their own ticks and get wider gaps.
  const sameShape = matrices.every((m) => m.length === matrices[0].length && m[0].length === matrices[0][0].length);
  const top = (o.title ? 50 : 20) + (panelTitles ? 25 : 0);
  // Gaps in pixels (a title line is about 20 px, a row of tick labels about 22), turned into
  // plotly's fractions of one cell's height / width.
  const gapY = (panelTitles ? 26 : 6) + (sameShape ? 0 : 24);
  const gapX = sameShape ? 14 : 40;
  const cellH = (height - top - 60 - gapY * (nRows - 1)) / nRows;
  const cellW = ((o.width ?? 900) - 70 - 30 - 100 - gapX * (cols - 1)) / cols; // 100 px: the colour bar
  const layout: Record<string, unknown> = {
    ...base,
    // Room above the first row for its panel titles.
    margin: { ...(base.margin as object), t: top },
    grid: { rows: nRows, columns: cols, pattern: "independent", xgap: Math.min(0.5, gapX / Math.max(cellW, 1)), ygap: Math.min(0.6, gapY / Math.max(cellH, 1)) },
    annotations: [] as unknown[],
  };
  const data = panels.map((p, i) => {
    const rows = matrices[i];
    const suffix = i === 0 ? "" : String(i + 1);
    // Axis titles on the outer panels only (left column, bottom row): between panels they overlap.
    const bottomRow = i + cols >= panels.length;
    const xTitle = bottomRow ? o.xTitle ?? "" : "";
    const yTitle = i % cols === 0 ? o.yTitle ?? "" : "";
    layout[`xaxis${suffix}`] = { type: o.x ? "category" : undefined, title: { text: xTitle }, automargin: true, showticklabels: !sameShape || bottomRow, exponentformat: "power" };
    // Row labels (e.g. words) are shared: drawn once, left of the first column. On inner panels
    // they would spill into the gap and over the neighbouring panel.
    const yLabels = i % cols === 0 || (o.y === undefined && !sameShape);
    layout[`yaxis${suffix}`] = { type: o.y ? "category" : undefined, autorange: "reversed", title: { text: yTitle }, automargin: true, showticklabels: yLabels, exponentformat: "power" };
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
      colorbar: colorbar(o),
      texttemplate: o.showValues ? "%{z:.2f}" : undefined,
      showscale: i === 0,
    };
  });
  return { data, layout };
}

let bundle: string | undefined;

/** The plotly bundle (JavaScript source). */
export function plotlyBundleSource(): string {
  bundle ??= fs.readFileSync(require.resolve("plotly.js-cartesian-dist-min"), "utf8");
  return bundle;
}

/**
 * The plotly bundle as an inline <script>, shielded from AMD/CommonJS loaders in the page
 * (require.js would otherwise capture it). The notebook runner puts this once into each
 * exported HTML page.
 */
export function plotlyBundleHtml(): string {
  return `<script>(function(){var module, exports, define;\n${plotlyBundleSource()}\n}).call(window);</script>`;
}

/** The kernel spec whose folder serves plotly.min.js (the launcher says which; see scripts/jupyter.ts). */
function kernelName(): string {
  return process.env.LAB_KERNEL_NAME || "attention-lab";
}

/**
 * Gets Plotly once per page: from window.Plotly, else from the Jupyter server's kernel spec
 * resources (base URL from the classic notebook's <body data-base-url>, or the jupyter-config-data
 * of JupyterLab / Notebook 7), loaded shielded like plotlyBundleHtml. A promise on window, so
 * all figures of a page share one download.
 */
const LOADER = String.raw`function labPlotly(kernel){var w=window;if(w.Plotly)return Promise.resolve(w.Plotly);
if(!w.__labPlotly){w.__labPlotly=new Promise(function(ok,fail){
var base=document.body&&document.body.getAttribute("data-base-url"),cfg=document.getElementById("jupyter-config-data");
if(!base&&cfg){try{base=JSON.parse(cfg.textContent).baseUrl||"/"}catch(e){}}
if(!base||!w.fetch){fail(new Error("no Jupyter server to load it from"));return;}
fetch(base.replace(/\/?$/,"/")+"kernelspecs/"+encodeURIComponent(kernel)+"/plotly.min.js").then(function(r){
if(!r.ok)throw new Error("the server answered "+r.status+" for plotly.min.js (run npm start once)");return r.text();}).then(function(src){
var s=document.createElement("script");s.textContent="(function(){var module,exports,define;\n"+src+"\n}).call(window);";
document.head.appendChild(s);if(w.Plotly)ok(w.Plotly);else fail(new Error("plotly.min.js did not define Plotly"));},fail);});
w.__labPlotly.catch(function(){w.__labPlotly=undefined;});}return w.__labPlotly;}`;

let figureCount = 0;

/** What plotly needs: the figure plus the display options the course uses. */
export function plotlyJson(fig: Figure): { data: unknown[]; layout: Record<string, unknown>; config: Record<string, unknown> } {
  return { data: fig.data, layout: fig.layout, config: { responsive: true, displaylogo: false } };
}

/**
 * The HTML of one figure: a div holding the static picture, and a script that replaces it with
 * the interactive plot once Plotly is available (see LOADER); if it never is, the picture stays
 * and says why in its tooltip. The picture is an <img> of the SVG (a data URI), not inline SVG:
 * HTML sanitizers (the classic notebook's for untrusted notebooks, JupyterLab's) strip <svg>
 * elements but keep images.
 */
export function figureHtml(fig: Figure, svg = figureSvg(fig), id = `lab-plot-${process.pid}-${Date.now().toString(36)}-${++figureCount}`): string {
  const json = JSON.stringify(plotlyJson(fig)).replace(/</g, "\\u003c");
  const height = Number(fig.layout.height ?? 420);
  return (
    `<div id="${id}" class="lab-plot" style="width:100%">` +
    `<img alt="${escapeHtml(titleOf(fig)).replace(/"/g, "&quot;")}" style="max-width:100%;height:auto" ` +
    `src="data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}"></div>\n` +
    `<script>(function(){var el=document.getElementById(${JSON.stringify(id)});if(!el||el.getAttribute("data-lab-drawn"))return;` +
    `var fig=${json};${LOADER}` +
    `labPlotly(${JSON.stringify(kernelName())}).then(function(P){el.setAttribute("data-lab-drawn","1");el.innerHTML="";` +
    `el.style.height="${height}px";P.newPlot(el,fig.data,fig.layout,fig.config);},` +
    `function(e){el.title="Static picture: the interactive version needs Plotly, which could not be loaded ("+e.message+").";});})();</script>`
  );
}

export function inNotebook(): boolean {
  return typeof (globalThis as { __tslab__?: unknown }).__tslab__ !== "undefined";
}

function titleOf(fig: Figure): string {
  return (fig.layout.title as { text?: string } | undefined)?.text ?? "untitled";
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** Every representation of a figure, as one MIME bundle (see the header of this file). */
export function figureBundle(fig: Figure, caption?: string): MimeBundle {
  const svg = figureSvg(fig);
  const text = caption ? `<pre style="margin:0">${escapeHtml(caption)}</pre>` : "";
  return {
    "text/html": text + figureHtml(fig, svg),
    "application/vnd.plotly.v1+json": plotlyJson(fig),
    "image/svg+xml": svg,
    "text/plain": `${caption ? caption + "\n" : ""}[plot: ${titleOf(fig)}, ${fig.data.length} trace(s)]`,
  };
}

/** Displays a figure in the notebook (outside a notebook it prints a one-line note instead). */
export function show(fig: Figure): void {
  if (!inNotebook()) {
    console.log(`[plot: ${titleOf(fig)}, ${fig.data.length} trace(s); shown in a notebook]`);
    return;
  }
  displayBundle(figureBundle(fig));
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
  const handle = newDisplayHandle();
  return {
    update(fig: Figure, caption?: string): void {
      handle.update(figureBundle(fig, caption));
    },
  };
}
