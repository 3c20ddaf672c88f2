/**
 * Finishing the HTML that nbconvert exports, so a page works on any machine, offline:
 * - maths typeset at export time into SVG (MathJax 3 from the `mathjax` npm package, run in
 *   Node), so no script, font or network is needed to read it; Debian's nbconvert would
 *   otherwise load MathJax from a file:///usr/share path that exists only on this machine;
 * - the other file:// script (require.js) removed;
 * - the plotting library inlined once per page (plot.ts's figures find window.Plotly).
 * And the course index (out/notebooks/index.html): every exported notebook, its status and run time.
 */
import * as fs from "fs";
import * as path from "path";
import { plotlyBundleHtml } from "../lib/support/plot";

interface MathJaxApi {
  startup: {
    adaptor: {
      body(doc: unknown): unknown;
      childNodes(node: unknown): unknown[];
      kind(node: unknown): string;
      innerHTML(node: unknown): string;
      outerHTML(node: unknown): string;
      textContent(node: unknown): string;
      getElements(selectors: string[], doc: unknown): unknown[];
      getAttribute(node: unknown, name: string): string | null;
    };
    getDocument(html: string): { document: unknown; render(): void };
  };
  svgStylesheet(): unknown;
}

let mathjax: Promise<MathJaxApi> | undefined;

function loadMathJax(): Promise<MathJaxApi> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mathjax ??= (require("mathjax") as { init(config: unknown): Promise<MathJaxApi> }).init({
    loader: { load: ["input/tex-full", "output/svg", "adaptors/liteDOM"], versionWarnings: false },
    // Jupyter's delimiters; \$ is a literal dollar
    tex: { inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]], processEscapes: true },
    // glyph shapes once per page, referenced by every formula
    svg: { fontCache: "global" },
    startup: { typeset: false },
  });
  return mathjax;
}

const MARKDOWN_OPEN = /<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput[^"]*"[^>]*>/g;

/** [start, end) of the content of each markdown cell: from after its opening tag to its matching </div>. */
function markdownRanges(html: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const m of html.matchAll(MARKDOWN_OPEN)) {
    const start = m.index! + m[0].length;
    const tags = /<div\b[^>]*>|<\/div>/g;
    tags.lastIndex = start;
    let depth = 1;
    for (let t = tags.exec(html); t; t = tags.exec(html)) {
      depth += t[0] === "</div>" ? -1 : 1;
      if (depth === 0) {
        ranges.push([start, t.index]);
        break;
      }
    }
  }
  return ranges;
}

/** Typesets the TeX in the page's markdown cells as inline SVG. Returns the page and the formula count. */
export async function typesetMaths(html: string): Promise<{ html: string; formulas: number }> {
  const ranges = markdownRanges(html);
  if (ranges.length === 0) return { html, formulas: 0 };
  const MathJax = await loadMathJax();
  const adaptor = MathJax.startup.adaptor;
  // All cells in one MathJax document, so the glyph cache is shared; each in a numbered wrapper.
  const body = ranges.map(([a, b], i) => `<div data-lab-md="${i}">${html.slice(a, b)}</div>`).join("");
  const doc = MathJax.startup.getDocument(`<!DOCTYPE html><html><head></head><body>${body}</body></html>`);
  doc.render();
  const typeset = new Map<number, string>();
  // (liteDOM's selectors know tags, ids and classes only: walk the body's children instead)
  for (const node of adaptor.childNodes(adaptor.body(doc.document))) {
    const i = adaptor.kind(node) === "div" ? adaptor.getAttribute(node, "data-lab-md") : null;
    if (i !== null) typeset.set(Number(i), adaptor.innerHTML(node));
  }
  const formulas = adaptor.getElements(["mjx-container"], doc.document).length;
  const cache = adaptor.getElements(["#MJX-SVG-global-cache"], doc.document).map((n) => adaptor.outerHTML(n)).join("");
  const style = `<style id="lab-mathjax">${adaptor.textContent(MathJax.svgStylesheet())}</style>`;
  let out = "";
  let at = 0;
  ranges.forEach(([a, b], i) => {
    out += html.slice(at, a) + (typeset.get(i) ?? html.slice(a, b));
    at = b;
  });
  out += html.slice(at);
  // (function replacements: the inserted text may contain "$'" and friends)
  out = out.replace("</head>", () => `${style}\n</head>`).replace(/<body([^>]*)>/, (m) => `${m}\n<div style="display:none">${cache}</div>`);
  return { html: out, formulas };
}

/** Scripts that load from this machine's disk (Debian's MathJax and require.js), and MathJax's config. */
export function removeLocalScripts(html: string): string {
  return html
    .replace(/<script[^>]*\bsrc="file:[^"]*"[^>]*>\s*<\/script>/g, "")
    .replace(/<script type="text\/x-mathjax-config">[\s\S]*?<\/script>/g, "");
}

/** nbconvert's page → a page that needs nothing but itself. */
export async function finishExport(html: string): Promise<{ html: string; formulas: number }> {
  const typeset = await typesetMaths(removeLocalScripts(html));
  return { html: typeset.html.replace("</head>", () => `${plotlyBundleHtml()}\n</head>`), formulas: typeset.formulas };
}

/** One line of the course index (out/notebooks/runs.json keeps the last run of each notebook). */
export interface RunRecord {
  notebook: string;
  title: string;
  ok: boolean;
  problems: string[];
  seconds: number;
  cells: number;
  ranAt: string;
  impl: string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The course index page: every notebook of the last runs, with its status and run time. */
export function indexHtml(records: readonly RunRecord[]): string {
  const rows = [...records]
    .sort((a, b) => a.notebook.localeCompare(b.notebook))
    .map((r) => {
      const stem = r.notebook.replace(/\.ipynb$/, "");
      const status = r.ok
        ? `<span class="ok">✓ ran cleanly</span>`
        : `<span class="bad">✗ ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}</span><ul>${r.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>`;
      return (
        `<tr><td><a href="${esc(stem)}.html">${esc(r.title)}</a><div class="file">${esc(r.notebook)} · <a href="${esc(stem)}.ipynb">executed notebook</a></div></td>` +
        `<td>${status}</td><td class="num">${r.cells}</td><td class="num">${r.seconds.toFixed(1)} s</td>` +
        `<td>${esc(r.ranAt.replace("T", " ").replace(/\.\d+Z$/, " UTC"))}<div class="file">LAB_IMPL=${esc(r.impl)}</div></td></tr>`
      );
    })
    .join("\n");
  const total = records.reduce((s, r) => s + r.seconds, 0);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Attention Lab: executed notebooks</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.5em .6em;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f5f5f5}.num{text-align:right;white-space:nowrap}.ok{color:#18794e}.bad{color:#b42318}.file{color:#666;font-size:.85em;margin-top:.2em}
ul{margin:.3em 0 0 1em;padding:0;font-size:.85em}
</style></head><body>
<h1>Attention Lab: executed notebooks</h1>
<p>Each notebook below was run top to bottom by <code>npm run notebooks</code> and exported with its outputs.
The pages need no network: maths and plots are inside them.</p>
<table><thead><tr><th>notebook</th><th>status</th><th class="num">code cells</th><th class="num">run time</th><th>ran</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="file">${records.length} notebook${records.length === 1 ? "" : "s"}, ${total.toFixed(0)} s in all.</p>
</body></html>
`;
}

/** Merges new records into out/notebooks/runs.json and rewrites index.html; drops notebooks that no longer exist. */
export function updateIndex(outDir: string, records: readonly RunRecord[], existing: readonly string[]): string {
  const file = path.join(outDir, "runs.json");
  let old: RunRecord[] = [];
  try {
    old = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    old = [];
  }
  const byName = new Map(old.filter((r) => existing.includes(r.notebook)).map((r) => [r.notebook, r]));
  for (const r of records) byName.set(r.notebook, r);
  const all = [...byName.values()];
  fs.writeFileSync(file, JSON.stringify(all, null, 2) + "\n");
  const index = path.join(outDir, "index.html");
  fs.writeFileSync(index, indexHtml(all));
  return index;
}
