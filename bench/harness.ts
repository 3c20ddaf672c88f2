/**
 * The benchmark harness behind `npm run bench`: each benchmark returns rows of measured figures,
 * each row optionally with a target; the run prints one table and fails when a target is missed.
 * Later notebooks add their benchmarks to bench/run.ts.
 */
import * as tf from "@tensorflow/tfjs";

export interface BenchRow {
  /** What was measured, e.g. "sdpa h=8 n=512 d=64". */
  name: string;
  /** Backend or variant, e.g. "wasm". */
  variant: string;
  /** The headline figure and its unit, e.g. 212.4 "ms". */
  value: number;
  unit: string;
  /** Extra figures for the table, e.g. "2.5 GFLOP/s". */
  detail?: string;
  /** Pass condition; undefined means informational. */
  target?: { op: "<=" | ">="; value: number };
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchRow[]>;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median: no samples");
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median wall time (ms) of `f`, which returns a tensor (or tensors) that is read back with
 * data() so lazy backends finish their work. Results are disposed; warm-up runs are not counted.
 */
export async function timeTensorFn(
  f: () => tf.TensorContainer,
  opts: { warmup?: number; runs?: number } = {},
): Promise<{ medianMs: number; samples: number[]; cpuMedianMs: number; cpuSamples: number[] }> {
  const run = async (): Promise<[number, number]> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const out = f();
    const tensors: tf.Tensor[] = [];
    collect(out, tensors);
    await Promise.all(tensors.map((t) => t.data()));
    const c = process.cpuUsage(c0);
    const ms = performance.now() - t0;
    tf.dispose(tensors);
    return [ms, (c.user + c.system) / 1000];
  };
  for (let i = 0; i < (opts.warmup ?? 2); i++) await run();
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let i = 0; i < (opts.runs ?? 7); i++) {
    const [ms, cpu] = await run();
    samples.push(ms);
    cpuSamples.push(cpu);
  }
  return { medianMs: median(samples), samples, cpuMedianMs: median(cpuSamples), cpuSamples };
}

function collect(x: tf.TensorContainer, into: tf.Tensor[]): void {
  if (x instanceof tf.Tensor) into.push(x);
  else if (Array.isArray(x)) x.forEach((y) => collect(y, into));
  else if (x && typeof x === "object") Object.values(x).forEach((y) => collect(y as tf.TensorContainer, into));
}

export function passed(row: BenchRow): boolean | undefined {
  if (!row.target) return undefined;
  return row.target.op === "<=" ? row.value <= row.target.value : row.value >= row.target.value;
}

function fmtTarget(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(0) : String(v);
}

/** 3 decimals below 10, 1 above; tiny non-zero values (agreement errors) in exponent form. */
export function fmtValue(v: number): string {
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1);
  return v.toFixed(Math.abs(v) < 10 ? 3 : 1);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ["benchmark", "variant", "value", "detail", "target", "ok"];
  const body = rows.map((r) => {
    const ok = passed(r);
    return [
      r.name,
      r.variant,
      `${fmtValue(r.value)} ${r.unit}`.trimEnd(),
      r.detail ?? "",
      r.target ? `${r.target.op} ${fmtTarget(r.target.value)} ${r.unit}`.trimEnd() : "",
      ok === undefined ? "" : ok ? "yes" : "MISSED",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
