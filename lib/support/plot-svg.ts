/**
 * Static pictures of the figures lib/support/plot.ts builds (line charts, heatmaps, grids of
 * heatmaps), as SVG, without a browser. They are the fallback for every viewer that runs no
 * scripts (GitHub, nbviewer without JavaScript, untrusted notebooks, exported HTML with
 * scripts off) and what a page shows until the interactive plotly version replaces it.
 *
 * This is not a plotly clone: it draws the subset of plotly's figure format that plot.ts emits
 * (scatter traces with lines/markers/dash, linear and log axes; heatmap traces with category or
 * index axes, reversed rows, a colour scale, cell values, a colour bar; plotly's `grid` layout
 * with panel titles), with plotly's default colours and fonts, so both versions look alike.
 * Anything else gets a plain note instead of a wrong picture.
 */
import * as zlib from "zlib";

type Json = Record<string, unknown>;
interface FigureLike {
  data: Json[];
  layout: Json;
}

const FONT = `"Open Sans", verdana, arial, sans-serif`;
const TEXT = "#444";
const GRID = "#eee";
/** plotly's default trace colours, in order. */
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const DASH: Record<string, string | undefined> = { solid: undefined, dot: "3,3", dash: "9,9", longdash: "15,15", dashdot: "9,3,3,3" };

/** The colour scales the course uses, by plotly's names. */
export type ColorscaleName = "Viridis" | "RdBu" | "Reds" | "Greys";

/** Their stops, the same as plotly.js's. */
export const COLORSCALES: Record<ColorscaleName, [number, string][]> = {
  Viridis: [
    [0, "#440154"], [0.06274509803921569, "#48186a"], [0.12549019607843137, "#472d7b"], [0.18823529411764706, "#424086"],
    [0.25098039215686274, "#3b528b"], [0.3137254901960784, "#33638d"], [0.3764705882352941, "#2c728e"], [0.4392156862745098, "#26828e"],
    [0.5019607843137255, "#21918c"], [0.5647058823529412, "#1fa088"], [0.6274509803921569, "#28ae80"], [0.6901960784313725, "#3fbc73"],
    [0.7529411764705882, "#5ec962"], [0.8156862745098039, "#84d44b"], [0.8784313725490196, "#addc30"], [0.9411764705882353, "#d8e219"],
    [1, "#fde725"],
  ],
  RdBu: [[0, "rgb(5,10,172)"], [0.35, "rgb(106,137,247)"], [0.5, "rgb(190,190,190)"], [0.6, "rgb(220,170,132)"], [0.7, "rgb(230,145,90)"], [1, "rgb(178,10,28)"]],
  Reds: [[0, "rgb(220,220,220)"], [0.2, "rgb(245,195,157)"], [0.4, "rgb(245,160,105)"], [1, "rgb(178,10,28)"]],
  Greys: [[0, "rgb(0,0,0)"], [1, "rgb(255,255,255)"]],
};

// ---------------------------------------------------------------- small helpers

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const r1 = (v: number) => (Math.round(v * 10) / 10).toString();
/** Rough width of a label in px (sans-serif, average glyph ≈ 0.58 em). */
const textWidth = (s: string, size = 12) => [...s].length * size * 0.58;

function text(x: number, y: number, s: string, o: { size?: number; anchor?: "start" | "middle" | "end"; rotate?: number; fill?: string; weight?: string; baseline?: "middle" | "hanging" } = {}): string {
  const attrs = [`x="${r1(x)}"`, `y="${r1(y)}"`, `font-size="${o.size ?? 12}"`];
  if (o.anchor && o.anchor !== "start") attrs.push(`text-anchor="${o.anchor}"`);
  if (o.rotate) attrs.push(`transform="rotate(${o.rotate} ${r1(x)} ${r1(y)})"`);
  if (o.fill) attrs.push(`fill="${o.fill}"`);
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  if (o.baseline === "middle") attrs.push(`dy="0.35em"`);
  if (o.baseline === "hanging") attrs.push(`dy="0.8em"`);
  return `<text ${attrs.join(" ")}>${esc(s)}</text>`;
}

function parseColor(c: string): [number, number, number] {
  if (c.startsWith("#")) {
    const h = c.length === 4 ? [...c.slice(1)].map((d) => d + d).join("") : c.slice(1);
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
  }
  const m = /rgba?\(([^)]+)\)/.exec(c);
  if (!m) throw new Error(`plot-svg: cannot read colour "${c}"`);
  return m[1].split(",").slice(0, 3).map((v) => Number(v.trim())) as [number, number, number];
}

function scaleOf(name: unknown): [number, [number, number, number]][] {
  const key = typeof name === "string" ? name : "Viridis";
  const stops = (COLORSCALES as Record<string, [number, string][] | undefined>)[key];
  if (!stops) throw new Error(`plot-svg: unknown colour scale "${key}" (known: ${Object.keys(COLORSCALES).join(", ")})`);
  return stops.map(([t, c]) => [t, parseColor(c)]);
}

function colorAt(stops: [number, [number, number, number]][], t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, t));
  for (let i = 1; i < stops.length; i++) {
    const [t1, c1] = stops[i];
    const [t0, c0] = stops[i - 1];
    if (u <= t1) {
      const f = t1 === t0 ? 0 : (u - t0) / (t1 - t0);
      return [0, 1, 2].map((k) => Math.round(c0[k] + f * (c1[k] - c0[k]))) as [number, number, number];
    }
  }
  return stops[stops.length - 1][1];
}

const hex = (c: [number, number, number]) => "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
/** Dark text on light cells, white on dark ones (relative luminance). */
const contrastText = ([r, g, b]: [number, number, number]) => (0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? "#222" : "#fff");

// ---------------------------------------------------------------- numbers on axes

const SUPERSCRIPT: Record<string, string> = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
const sup = (n: number) => [...String(n)].map((c) => SUPERSCRIPT[c]).join("");
const minus = (s: string) => s.replace(/^-/, "−");

/** A tick label: plain decimals in a readable range, otherwise m×10ⁿ (never SI letters like "100μ"). */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const e = Math.floor(Math.log10(a) + 1e-9);
    const m = v / 10 ** e;
    const mant = Math.abs(m - 1) < 1e-9 ? "" : `${minus(String(+m.toPrecision(3)))}×`;
    return `${mant}10${sup(e)}`;
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9) + (String(+(step / 10 ** Math.floor(Math.log10(step) + 1e-9)).toFixed(3)).includes(".") ? 1 : 0)));
  return minus(v.toFixed(decimals));
}

/** About `target` round-numbered ticks (1, 2, 2.5, 5 × 10ⁿ apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): { ticks: number[]; step: number } {
  if (!(hi > lo)) return { ticks: [lo], step: 1 };
  const raw = (hi - lo) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  return { ticks, step };
}

/** Ticks of a log axis over [10^lo, 10^hi] (lo, hi in decades): powers of ten, plus 2 and 5 on short ranges. */
export function logTicks(lo: number, hi: number): { value: number; label: string }[] {
  const out: { value: number; label: string }[] = [];
  const short = hi - lo < 2.2;
  const every = hi - lo > 9 ? 2 : 1;
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of short ? [1, 2, 5] : [1]) {
      const lv = e + Math.log10(m);
      if (lv < lo - 1e-9 || lv > hi + 1e-9) continue;
      if (m === 1 && e % every !== 0) continue;
      const v = m * 10 ** e;
      const label = e >= -2 && e <= 4 ? minus(String(+v.toPrecision(6))) : m === 1 ? `10${sup(e)}` : `${m}×10${sup(e)}`;
      out.push({ value: lv, label });
    }
  }
  return out;
}

// ---------------------------------------------------------------- axes

interface Axis {
  kind: "linear" | "log" | "category";
  /** Data range (log axes: in decades). */
  lo: number;
  hi: number;
  reversed: boolean;
  categories?: string[];
  title: string;
  showLabels: boolean;
}

interface Tick {
  at: number;
  label: string;
}

function axisTicks(ax: Axis, lengthPx: number): Tick[] {
  if (ax.kind === "category") {
    const cats = ax.categories ?? [];
    const widest = Math.max(1, ...cats.map((c) => textWidth(c)));
    const every = Math.max(1, Math.ceil(cats.length / Math.max(1, Math.floor(lengthPx / Math.min(widest + 6, 40)))));
    return cats.map((c, i) => ({ at: i, label: c.replace(/\u200b+$/, "") })).filter((_, i) => i % every === 0);
  }
  if (ax.kind === "log") return logTicks(ax.lo, ax.hi).map((t) => ({ at: t.value, label: t.label }));
  const { ticks, step } = niceTicks(ax.lo, ax.hi, Math.max(2, Math.min(8, Math.round(lengthPx / 80))));
  return ticks.map((v) => ({ at: v, label: formatTick(v, step) }));
}

/** Pixel position of a data value along an axis drawn from `a` to `b` (b > a). */
function scaler(ax: Axis, a: number, b: number): (v: number) => number {
  const span = ax.hi - ax.lo || 1;
  return ax.reversed ? (v) => b - ((v - ax.lo) / span) * (b - a) : (v) => a + ((v - ax.lo) / span) * (b - a);
}

// ---------------------------------------------------------------- PNG (for large heatmaps)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** An RGBA PNG, one pixel per cell (transparent where the cell has no value). */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 4);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], row + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------- the figure

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

const layoutOf = (l: Json, key: string): Json => (l[key] as Json | undefined) ?? {};
const titleText = (v: unknown): string => (typeof v === "string" ? v : ((v as Json | undefined)?.text as string | undefined) ?? "");

function numbers(v: unknown): (number | null)[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === "number" && Number.isFinite(x) ? x : null)) : [];
}

function drawAxes(out: string[], box: Box, xa: Axis, ya: Axis, o: { xTitle: boolean; yTitle: boolean; grid: boolean }): { bottom: number } {
  const sx = scaler(xa, box.x0, box.x1);
  const sy = scaler(ya, box.y1, box.y0); // y grows upwards unless reversed
  const xt = axisTicks(xa, box.x1 - box.x0);
  const yt = axisTicks(ya, box.y1 - box.y0);
  if (o.grid) {
    for (const t of xa.kind === "category" ? [] : xt) out.push(`<line x1="${r1(sx(t.at))}" x2="${r1(sx(t.at))}" y1="${r1(box.y0)}" y2="${r1(box.y1)}" stroke="${t.at === 0 && xa.kind === "linear" ? TEXT : GRID}" stroke-width="1"/>`);
    for (const t of ya.kind === "category" ? [] : yt) out.push(`<line x1="${r1(box.x0)}" x2="${r1(box.x1)}" y1="${r1(sy(t.at))}" y2="${r1(sy(t.at))}" stroke="${t.at === 0 && ya.kind === "linear" ? TEXT : GRID}" stroke-width="1"/>`);
  }
  let bottom = box.y1 + 4;
  if (xa.showLabels) {
    const slot = xt.length > 1 ? Math.abs(sx(xt[1].at) - sx(xt[0].at)) : box.x1 - box.x0;
    const widest = Math.max(0, ...xt.map((t) => textWidth(t.label)));
    const rotate = widest > slot - 4;
    for (const t of xt) {
      out.push(rotate
        ? text(sx(t.at) + 4, box.y1 + 8, t.label, { anchor: "end", rotate: -40, baseline: "hanging" })
        : text(sx(t.at), box.y1 + 6, t.label, { anchor: "middle", baseline: "hanging" }));
    }
    bottom = box.y1 + 8 + (rotate ? widest * Math.sin((40 * Math.PI) / 180) + 10 : 16);
  }
  if (ya.showLabels) for (const t of yt) out.push(text(box.x0 - 6, sy(t.at), t.label, { anchor: "end", baseline: "middle" }));
  if (o.xTitle && xa.title) {
    out.push(text((box.x0 + box.x1) / 2, bottom + 4, xa.title, { anchor: "middle", size: 14, baseline: "hanging" }));
    bottom += 22;
  }
  if (o.yTitle && ya.title) {
    const widest = ya.showLabels ? Math.max(0, ...yt.map((t) => textWidth(t.label))) : 0;
    const x = box.x0 - 14 - widest;
    out.push(text(x, (box.y0 + box.y1) / 2, ya.title, { anchor: "middle", size: 14, rotate: -90 }));
  }
  return { bottom };
}

function yLabelWidth(ax: Axis, heightPx: number): number {
  return ax.showLabels ? Math.max(0, ...axisTicks(ax, heightPx).map((t) => textWidth(t.label))) : 0;
}

function xLabelHeight(ax: Axis, widthPx: number): number {
  if (!ax.showLabels) return 0;
  const ticks = axisTicks(ax, widthPx);
  const slot = ticks.length > 1 ? widthPx / ((ax.hi - ax.lo) / Math.abs(ticks[1].at - ticks[0].at) || 1) : widthPx;
  const widest = Math.max(0, ...ticks.map((t) => textWidth(t.label)));
  return widest > slot - 4 ? widest * Math.sin((40 * Math.PI) / 180) + 18 : 24;
}

// ---------------------------------------------------------------- line charts

function linesSvg(fig: FigureLike, W: number, H: number, out: string[], top: number, uid: string): void {
  const l = fig.layout;
  const xl = layoutOf(l, "xaxis");
  const yl = layoutOf(l, "yaxis");
  const traces = fig.data.map((t, i) => ({
    name: String(t.name ?? `trace ${i}`),
    x: numbers(t.x),
    y: numbers(t.y),
    mode: String(t.mode ?? "lines+markers"),
    dash: DASH[String((t.line as Json | undefined)?.dash ?? "solid")],
    color: COLORS[i % COLORS.length],
  }));
  const logX = xl.type === "log";
  const logY = yl.type === "log";
  const tx = (v: number | null) => (v === null || (logX && v <= 0) ? null : logX ? Math.log10(v) : v);
  const ty = (v: number | null) => (v === null || (logY && v <= 0) ? null : logY ? Math.log10(v) : v);
  const xs = traces.flatMap((t) => t.x.map(tx)).filter((v): v is number => v !== null);
  const ys = traces.flatMap((t) => t.y.map(ty)).filter((v): v is number => v !== null);
  const range = (vs: number[], pad: number): [number, number] => {
    if (vs.length === 0) return [0, 1];
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    const p = (hi - lo) * pad;
    return [lo - p, hi + p];
  };
  const markers = traces.some((t) => t.mode.includes("markers"));
  const [x0, x1] = range(xs, markers ? 0.03 : 0);
  const [y0, y1] = range(ys, 0.05);
  const xa: Axis = { kind: logX ? "log" : "linear", lo: x0, hi: x1, reversed: false, title: titleText(xl.title), showLabels: true };
  const ya: Axis = { kind: logY ? "log" : "linear", lo: y0, hi: y1, reversed: false, title: titleText(yl.title), showLabels: true };
  const legend = traces.length > 1;
  const legendW = legend ? 46 + Math.max(...traces.map((t) => textWidth(t.name))) : 0;
  const box: Box = { x0: 0, x1: W - 20 - legendW, y0: top, y1: 0 };
  box.y1 = H - 12 - xLabelHeight(xa, box.x1 - 80) - (xa.title ? 22 : 0);
  box.x0 = 16 + (ya.title ? 20 : 0) + yLabelWidth(ya, box.y1 - box.y0);
  drawAxes(out, box, xa, ya, { xTitle: true, yTitle: true, grid: true });
  const sx = scaler(xa, box.x0, box.x1);
  const sy = scaler(ya, box.y1, box.y0);
  out.push(`<g clip-path="url(#${uid}-area)">`);
  for (const t of traces) {
    const pts = t.x.map((xv, i) => {
      const a = tx(xv), b = ty(t.y[i] ?? null);
      return a === null || b === null ? null : ([sx(a), sy(b)] as [number, number]);
    });
    if (t.mode.includes("lines")) {
      let d = "", pen = false;
      for (const p of pts) {
        if (!p) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${r1(p[0])},${r1(p[1])}`;
        pen = true;
      }
      if (d) out.push(`<path d="${d}" fill="none" stroke="${t.color}" stroke-width="2"${t.dash ? ` stroke-dasharray="${t.dash}"` : ""}/>`);
    }
    if (t.mode.includes("markers")) for (const p of pts) if (p) out.push(`<circle cx="${r1(p[0])}" cy="${r1(p[1])}" r="3" fill="${t.color}"/>`);
  }
  out.push(`</g>`);
  out.unshift(`<defs><clipPath id="${uid}-area"><rect x="${r1(box.x0 - 4)}" y="${r1(box.y0 - 4)}" width="${r1(box.x1 - box.x0 + 8)}" height="${r1(box.y1 - box.y0 + 8)}"/></clipPath></defs>`);
  if (legend) {
    const lx = box.x1 + 16;
    traces.forEach((t, i) => {
      const y = box.y0 + 10 + i * 20;
      if (t.mode.includes("lines")) out.push(`<line x1="${lx}" x2="${lx + 30}" y1="${y}" y2="${y}" stroke="${t.color}" stroke-width="2"${t.dash ? ` stroke-dasharray="${t.dash}"` : ""}/>`);
      if (t.mode.includes("markers")) out.push(`<circle cx="${lx + 15}" cy="${y}" r="3" fill="${t.color}"/>`);
      out.push(text(lx + 38, y, t.name, { baseline: "middle" }));
    });
  }
}

// ---------------------------------------------------------------- heatmaps

interface Panel {
  z: (number | null)[][];
  xa: Axis;
  ya: Axis;
  title: string;
  showValues: boolean;
}

function heatmapAxes(trace: Json, xl: Json, yl: Json, rows: number, cols: number): { xa: Axis; ya: Axis } {
  const labels = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  const x = labels(trace.x);
  const y = labels(trace.y);
  return {
    xa: { kind: x ? "category" : "linear", categories: x, lo: -0.5, hi: cols - 0.5, reversed: false, title: titleText(xl.title), showLabels: xl.showticklabels !== false },
    ya: { kind: y ? "category" : "linear", categories: y, lo: -0.5, hi: rows - 0.5, reversed: yl.autorange === "reversed", title: titleText(yl.title), showLabels: yl.showticklabels !== false },
  };
}

function drawCells(out: string[], box: Box, p: Panel, zmin: number, zmax: number, stops: [number, [number, number, number]][]): void {
  const rows = p.z.length, cols = p.z[0]?.length ?? 0;
  const cw = (box.x1 - box.x0) / cols, ch = (box.y1 - box.y0) / rows;
  const t = (v: number) => (zmax === zmin ? 0.5 : (v - zmin) / (zmax - zmin));
  const rowTop = (i: number) => (p.ya.reversed ? box.y0 + i * ch : box.y1 - (i + 1) * ch);
  if (rows * cols > 2500) {
    // One pixel per cell, scaled up without smoothing: small and exact for big matrices.
    const png = encodePng(cols, rows, (x, y) => {
      const v = p.z[p.ya.reversed ? y : rows - 1 - y][x];
      return v === null ? [0, 0, 0, 0] : [...colorAt(stops, t(v)), 255];
    });
    out.push(`<image x="${r1(box.x0)}" y="${r1(box.y0)}" width="${r1(box.x1 - box.x0)}" height="${r1(box.y1 - box.y0)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${png.toString("base64")}"/>`);
    return;
  }
  const values = p.showValues && cw >= 30 && ch >= 15;
  out.push(`<g shape-rendering="crispEdges">`);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = p.z[i][j];
      if (v === null) continue;
      const c = colorAt(stops, t(v));
      out.push(`<rect x="${r1(box.x0 + j * cw)}" y="${r1(rowTop(i))}" width="${r1(cw + 0.5)}" height="${r1(ch + 0.5)}" fill="${hex(c)}"/>`);
    }
  }
  out.push(`</g>`);
  if (values) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = p.z[i][j];
        if (v !== null) out.push(text(box.x0 + (j + 0.5) * cw, rowTop(i) + ch / 2, v.toFixed(2), { anchor: "middle", baseline: "middle", fill: contrastText(colorAt(stops, t(v))) }));
      }
    }
  }
}

function drawColorbar(out: string[], x: number, y0: number, y1: number, zmin: number, zmax: number, scaleName: unknown, title: string, uid: string): void {
  const stops = scaleOf(scaleName);
  const id = `${uid}-colorbar`;
  const gradient = stops.map(([t, c]) => `<stop offset="${t}" stop-color="${hex(c)}"/>`).join("");
  out.push(`<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${gradient}</linearGradient></defs>`);
  out.push(`<rect x="${r1(x)}" y="${r1(y0)}" width="14" height="${r1(y1 - y0)}" fill="url(#${id})"/>`);
  const { ticks, step } = niceTicks(zmin, zmax, 5);
  let widest = 0;
  for (const v of ticks) {
    const y = y1 - ((v - zmin) / (zmax - zmin || 1)) * (y1 - y0);
    const label = formatTick(v, step);
    widest = Math.max(widest, textWidth(label));
    out.push(`<line x1="${r1(x + 14)}" x2="${r1(x + 18)}" y1="${r1(y)}" y2="${r1(y)}" stroke="${TEXT}"/>`);
    out.push(text(x + 21, y, label, { baseline: "middle" }));
  }
  if (title) out.push(text(x + 30 + widest, (y0 + y1) / 2, title, { anchor: "middle", size: 13, rotate: 90 }));
}

function heatmapsSvg(fig: FigureLike, W: number, H: number, out: string[], top: number, uid: string): void {
  const l = fig.layout;
  const grid = l.grid as Json | undefined;
  const cols = Number(grid?.columns ?? 1), nRows = Number(grid?.rows ?? 1);
  const annotations = (l.annotations as Json[] | undefined) ?? [];
  const panels: Panel[] = fig.data.map((trace, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    const z = (trace.z as unknown[][]).map(numbers);
    const { xa, ya } = heatmapAxes(trace, layoutOf(l, `xaxis${suffix}`), layoutOf(l, `yaxis${suffix}`), z.length, z[0]?.length ?? 0);
    const note = annotations.find((a) => a.xref === `x${suffix} domain`);
    return { z, xa, ya, title: note ? String(note.text ?? "") : "", showValues: Boolean(trace.texttemplate) };
  });
  const all = panels.flatMap((p) => p.z.flat()).filter((v): v is number => v !== null);
  const first = fig.data[0];
  let zmin = typeof first.zmin === "number" ? first.zmin : Math.min(...all);
  let zmax = typeof first.zmax === "number" ? first.zmax : Math.max(...all);
  if (!(zmax > zmin)) { zmin -= 0.5; zmax += 0.5; }
  const stops = scaleOf(first.colorscale);
  const cbTitle = titleText(((first.colorbar as Json | undefined)?.title as unknown) ?? "");
  const cbLabels = Math.max(...niceTicks(zmin, zmax, 5).ticks.map((v) => textWidth(formatTick(v, niceTicks(zmin, zmax, 5).step))));
  const colorbarW = first.showscale === false ? 0 : 40 + cbLabels + (cbTitle ? 22 : 0);
  const panelTitles = panels.some((p) => p.title);
  const left0 = panels.filter((_, i) => i % cols === 0);
  const yTitle = left0.some((p) => p.ya.title);
  const leftLabel = Math.max(0, ...left0.map((p) => yLabelWidth(p.ya, 200)));
  const area: Box = { x0: 14 + (yTitle ? 22 : 0) + leftLabel, x1: W - 16 - colorbarW, y0: top + (panelTitles ? 22 : 0), y1: H - 10 };
  const bottomRow = panels.filter((_, i) => i + cols >= panels.length);
  const xTitle = bottomRow.some((p) => p.xa.title);
  area.y1 -= Math.max(0, ...bottomRow.map((p) => xLabelHeight(p.xa, (area.x1 - area.x0) / cols))) + (xTitle ? 24 : 0);
  const innerY = panels.some((p, i) => i % cols !== 0 && p.ya.showLabels) ? 8 + Math.max(...panels.map((p) => yLabelWidth(p.ya, 200))) : 0;
  const xgap = cols > 1 ? Math.max(Number(grid?.xgap ?? 0.08) * ((area.x1 - area.x0) / cols), innerY + 10) : 0;
  const ygap = nRows > 1 ? Math.max(Number(grid?.ygap ?? 0.18) * ((area.y1 - area.y0) / nRows), 24 + (panelTitles ? 22 : 0)) : 0;
  const cw = (area.x1 - area.x0 - xgap * (cols - 1)) / cols;
  const ch = (area.y1 - area.y0 - ygap * (nRows - 1)) / nRows;
  panels.forEach((p, i) => {
    const r = Math.floor(i / cols), c = i % cols;
    const box: Box = { x0: area.x0 + c * (cw + xgap), x1: area.x0 + c * (cw + xgap) + cw, y0: area.y0 + r * (ch + ygap), y1: area.y0 + r * (ch + ygap) + ch };
    drawCells(out, box, p, zmin, zmax, stops);
    drawAxes(out, box, p.xa, p.ya, { xTitle: true, yTitle: true, grid: false });
    if (p.title) out.push(text((box.x0 + box.x1) / 2, box.y0 - 8, p.title, { anchor: "middle" }));
  });
  if (colorbarW > 0) drawColorbar(out, area.x1 + 18, area.y0, area.y1, zmin, zmax, first.colorscale, cbTitle, uid);
}

/** Ids inside one SVG (clip paths, gradients) must not collide with another SVG's on the page. */
const UID_BASE = `lab${Date.now().toString(36)}${process.pid.toString(36)}`;
let svgCount = 0;

/**
 * The static SVG of a figure from plot.ts. `width` is the nominal drawing width in px (the SVG
 * scales to its container); the height is the figure's own.
 */
export function figureSvg(fig: FigureLike, width = 760): string {
  const W = Number(fig.layout.width ?? width);
  const H = Number(fig.layout.height ?? 420);
  const title = titleText(fig.layout.title);
  const out: string[] = [];
  const top = title ? 50 : 20;
  const uid = `${UID_BASE}-${++svgCount}`;
  const types = new Set(fig.data.map((t) => String(t.type ?? "scatter")));
  if ([...types].every((t) => t === "scatter")) linesSvg(fig, W, H, out, top, uid);
  else if ([...types].every((t) => t === "heatmap")) heatmapsSvg(fig, W, H, out, top, uid);
  else out.push(text(W / 2, H / 2, `(no static picture for ${[...types].join(", ")} plots; the interactive version needs scripts)`, { anchor: "middle" }));
  if (title) out.push(text(W / 2, 28, title, { anchor: "middle", size: 17 }));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
    `style="max-width:100%;height:auto;background:#fff" font-family='${FONT}' fill="${TEXT}">` +
    `<title>${esc(title || "plot")}</title>${out.join("")}</svg>`
  );
}
