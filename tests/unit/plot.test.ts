/**
 * lib/support/plot.ts (figure builders, the MIME bundle every plot is sent as) and
 * lib/support/plot-svg.ts (the static picture). Browser routes: notebooks.test.ts and
 * classic-notebook.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import * as zlib from "zlib";
import { describe, expect, it, vi } from "vitest";
import { figureBundle, figureHtml, heatmap, heatmapGrid, lines, plotlyBundleHtml, show } from "../../lib/support/plot";
import { encodePng, figureSvg, formatTick, logTicks, niceTicks } from "../../lib/support/plot-svg";

tf.enableProdMode(); // no "running TensorFlow.js in Node.js" banner

describe("figure builders", () => {
  it("heatmap reads like a matrix, labels tokens, keeps repeated tokens apart", () => {
    const fig = heatmap(tf.tensor2d([[1, 0], [0.5, 0.5]]), { x: ["the", "the"], y: ["a", "b"], title: "t", zTitle: "weight" });
    const trace = fig.data[0];
    expect(trace.type).toBe("heatmap");
    expect(trace.z).toEqual([[1, 0], [0.5, 0.5]]);
    expect((trace.x as string[])[0]).not.toBe((trace.x as string[])[1]);
    expect((fig.layout.yaxis as { autorange: string }).autorange).toBe("reversed");
    expect(trace.colorbar).toMatchObject({ title: { text: "weight" } });
    expect(() => heatmap([[1, 2], [3]])).toThrow("rectangular");
    expect(() => heatmap([[1, 2]], { x: ["a"] })).toThrow("heatmap: x has 1 labels for 2 columns");
    expect(() => heatmap(tf.zeros([2, 2, 2]))).toThrow("heatmap: z must be a 2-D tensor [rows, cols], got shape [2,2,2]");
  });

  it("lines supports log axes and turns NaN/Infinity into gaps; axes never use SI letters", () => {
    const fig = lines([{ name: "a", x: [1, 2, 3], y: [1, NaN, Infinity] }], { logX: true, logY: true });
    expect(fig.data[0].y).toEqual([1, null, null]);
    expect((fig.layout.xaxis as { type: string }).type).toBe("log");
    expect((fig.layout.yaxis as { exponentformat: string }).exponentformat).toBe("power");
    expect(() => lines([{ x: [1], y: [1, 2] }])).toThrow("1 x values and 2 y values");
  });

  it("heatmapGrid lays out one reversed-y subplot per panel, one colour bar", () => {
    const fig = heatmapGrid([0, 1, 2].map((i) => ({ z: [[i, 1], [1, i]], title: `head ${i}` })), { cols: 2, zTitle: "w" });
    expect(fig.data.map((d) => d.xaxis)).toEqual(["x", "x2", "x3"]);
    expect(fig.data.map((d) => d.showscale)).toEqual([true, false, false]);
    expect((fig.layout.yaxis3 as { autorange: string }).autorange).toBe("reversed");
    expect(fig.layout.grid).toMatchObject({ rows: 2, columns: 2 });
    // One shape: tick labels on the outer panels only (they would run into the next row's titles).
    const shown = (axis: string) => (fig.layout[axis] as { showticklabels: boolean }).showticklabels;
    expect(["xaxis", "xaxis2", "xaxis3"].map(shown)).toEqual([false, true, true]); // panel 2 is the bottom of its column
    expect(["yaxis", "yaxis2", "yaxis3"].map(shown)).toEqual([true, false, true]);
    // Different shapes: every panel keeps its ticks, and the rows move further apart for them.
    const mixed = heatmapGrid([{ z: [[1, 2]], title: "a" }, { z: [[1], [2]], title: "b" }, { z: [[3]], title: "c" }], { cols: 2 });
    expect(["xaxis", "xaxis2", "yaxis2"].map((a) => (mixed.layout[a] as { showticklabels: boolean }).showticklabels)).toEqual([true, true, true]);
    expect((mixed.layout.grid as { ygap: number }).ygap).toBeGreaterThan((fig.layout.grid as { ygap: number }).ygap);
  });
});

describe("static pictures (SVG, no browser)", () => {
  it("tick labels: decimals in a readable range, powers of ten outside it, never '100μ'", () => {
    expect(formatTick(1e-4, 1e-4)).toBe("10⁻⁴");
    expect(formatTick(2.5e-4, 1e-4)).toBe("2.5×10⁻⁴");
    expect(formatTick(0.25, 0.25)).toBe("0.25");
    expect(formatTick(-0.5, 0.5)).toBe("−0.5");
    expect(formatTick(150, 50)).toBe("150");
    expect(niceTicks(0, 1, 5)).toEqual({ ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], step: 0.2 });
    expect(logTicks(-4, 0.5).map((t) => t.label)).toEqual(["10⁻⁴", "10⁻³", "0.01", "0.1", "1"]);
    expect(logTicks(0, 1).map((t) => t.label)).toEqual(["1", "2", "5", "10"]);
  });

  it("a heatmap is one rect per cell, with values, labels, a titled colour bar", () => {
    const svg = figureSvg(heatmap([[1, 0, 0.5], [0.25, 0.75, 1]], { x: ["a", "b", "c"], y: ["p", "q"], showValues: true, title: "T & <x>", zTitle: "weight" }));
    expect(svg.startsWith("<svg")).toBe(true);
    expect((svg.match(/<rect /g) ?? []).length).toBe(6 + 1); // cells + colour bar
    for (const s of ["0.75", ">a<", ">q<", ">weight<", "T &amp; &lt;x&gt;"]) expect(svg).toContain(s);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("a big heatmap is an exact one-pixel-per-cell PNG, not thousands of rects", () => {
    const z = Array.from({ length: 60 }, (_, i) => Array.from({ length: 70 }, (_, j) => Math.sin(i * j)));
    const svg = figureSvg(heatmap(z, { colorscale: "RdBu", zmin: -1, zmax: 1 }));
    expect((svg.match(/<rect /g) ?? []).length).toBe(1);
    const png = Buffer.from(/href="data:image\/png;base64,([^"]+)"/.exec(svg)![1], "base64");
    expect(png.readUInt32BE(16)).toBe(70); // IHDR width
    expect(png.readUInt32BE(20)).toBe(60);
    expect(svg.length).toBeLessThan(60_000);
  });

  it("encodePng writes a valid PNG (inflates back to the pixels)", () => {
    const png = encodePng(2, 1, (x) => (x === 0 ? [255, 0, 0, 255] : [0, 0, 255, 128]));
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString("ascii")).toBe("IDAT");
    const raw = zlib.inflateSync(png.subarray(41, 41 + idatLen));
    expect([...raw]).toEqual([0, 255, 0, 0, 255, 0, 0, 255, 128]);
  });

  it("lines: a path per series, markers, a legend for several series, gaps for missing values", () => {
    const svg = figureSvg(lines([
      { name: "measured", x: [1, 2, 3, 4], y: [1, 2, NaN, 4] },
      { name: "theory", x: [1, 2, 3, 4], y: [1, 2, 3, 4], mode: "lines", dash: "dash" },
    ], { title: "t", xTitle: "n", yTitle: "v" }));
    expect((svg.match(/<path /g) ?? []).length).toBe(2);
    expect((svg.match(/<circle /g) ?? []).length).toBe(3 + 1); // 3 finite points + legend marker
    expect(svg).toContain('stroke-dasharray="9,9"');
    expect(svg).toMatch(/M[\d.]+,[\d.]+L[\d.]+,[\d.]+M/); // the NaN splits the first line
    expect(svg).toContain(">measured<");
  });

  it("grids draw every panel and its title; ids are unique per picture", () => {
    const fig = heatmapGrid([{ z: [[1, 0], [0, 1]], title: "head 1" }, { z: [[0, 1], [1, 0]], title: "head 2" }], { cols: 2, zmin: 0, zmax: 1 });
    const a = figureSvg(fig), b = figureSvg(fig);
    expect((a.match(/<rect /g) ?? []).length).toBe(8 + 1);
    expect(a).toContain(">head 2<");
    const id = (s: string) => /id="([^"]+)"/.exec(s)![1];
    expect(id(a)).not.toBe(id(b));
  });
});

describe("the MIME bundle of a plot", () => {
  it("carries HTML (static SVG + loader), plotly JSON, SVG and text; never the plotly library", () => {
    const fig = heatmap([[1, 2], [3, 4]], { title: "</script><b>" });
    const bundle = figureBundle(fig);
    expect(Object.keys(bundle).sort()).toEqual(["application/vnd.plotly.v1+json", "image/svg+xml", "text/html", "text/plain"]);
    const html = bundle["text/html"] as string;
    expect(html).toContain('class="lab-plot"');
    expect(html).toContain('<img alt="&lt;/script>&lt;b>" style="max-width:100%;height:auto" src="data:image/svg+xml;base64,');
    expect(html).not.toContain("</script><b>");
    expect(html).toContain("kernelspecs/");
    expect(html.length).toBeLessThan(40_000);
    expect(bundle["application/vnd.plotly.v1+json"]).toMatchObject({ data: fig.data, layout: fig.layout });
    expect(bundle["text/plain"]).toContain("[plot: </script><b>, 1 trace(s)]");
    expect(figureHtml(fig, "<svg/>", "fig1")).toContain('id="fig1"');
  });

  it("the inline library (for exported pages) is shielded from AMD loaders", () => {
    const lib = plotlyBundleHtml();
    expect(lib.length).toBeGreaterThan(1_000_000);
    expect(lib).toContain("window.Plotly = Plotly");
    expect(lib.startsWith("<script>(function(){var module, exports, define;")).toBe(true);
  });

  it("show() outside a notebook prints a note instead of HTML", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    show(heatmap([[1]], { title: "hello" }));
    expect(log).toHaveBeenCalledWith("[plot: hello, 1 trace(s); shown in a notebook]");
    log.mockRestore();
  });
});
