/**
 * `npm run bench -- efficient [--write]`: the cost of attention as the sequence grows (notebook 08).
 *
 * For n = 512 … 16384 (one head, d = 64) it runs the reference standard attention and the four
 * reference methods of solutions/efficient.ts with the settings of SCALING_SETTINGS, and measures
 *   - peak tensor memory of one call (measurePeakMemory: the high-water mark of the distinct tensor
 *     buffers live during the call; deterministic, so measured once, on the warm-up call);
 *   - CPU time of a call: the median of several calls (9 up to n = 2048, 7 at 4096, 5 at 8192, 3
 *     at 16384), after an untimed warm-up call (the memory call), with a forced garbage collection
 *     before each timed call (so that one method's garbage is not collected on another's clock),
 *     interleaved round by round over the methods with the order rotated every round (so that no
 *     method always runs right after standard attention has held its [n, n] matrices, and a change
 *     in the machine's load hits all of them alike); the wall time of the median call beside it.
 *     CPU time, not wall time: tfjs-wasm runs on this one thread, so other work on the shared
 *     machine stretches the wall clock far more than the CPU time. The median, not the fastest
 *     call: with few calls the fastest is a lucky outlier, and not equally lucky at every n.
 * Slopes are least-squares fits on log-log axes over n ≥ 2048 for time (below that, per-op
 * overhead, not the algorithm, dominates the small variants) and over every n for memory.
 *
 * Targets: tiled attention equals standard attention to 1e-5 (at every n, with blocks that do not
 * divide n, causal and not); its peak memory grows at most linearly (slope ≤ 1.3); Linformer,
 * Performer and Longformer have time and memory slopes ≤ 1.3; and, so that these checks could
 * fail, standard attention's own slopes are ≥ 1.7 (the measurement does see a quadratic cost).
 * Tiled attention's time slope is reported, not checked: it does all n² of the work (≈ 2).
 * With python3-torch installed, PyTorch runs standard and tiled attention on the same inputs,
 * interleaved with ours (agreement, CPU- and wall-time ratios). `--write` saves the points to
 * checkpoints/efficient-scaling.json (what the notebook plots); without it, the memory figures of
 * the committed file are compared with this run's (they must be identical).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/support/backend";
import {
  disposeScalingInputs, SCALING_LABELS, SCALING_METHODS, SCALING_RESULTS_FILE, SCALING_SETTINGS, scalingCall, scalingInputs,
  type ScalingFunctions, type ScalingMethod, type ScalingPoint, type ScalingResults,
} from "../lib/support/efficient";
import { cpuTimeMs, fitPowerLaw, fmtBytes, measurePeakMemory, median } from "../lib/support/measure";

import * as v8 from "v8";
import * as vm from "vm";
import { randn } from "../lib/support/random";
import { causalMask, scaledDotProductAttention } from "../solutions/attention";
import * as efficient from "../solutions/efficient";
import { Benchmark, BenchRow } from "./harness";
import { PythonPeer, torchVersion } from "./peer";

export const EFFICIENT_NS: readonly number[] = [512, 1024, 2048, 4096, 8192, 16384];
/** Time slopes are fitted from this n up. */
const TIME_FIT_FROM = 2048;
const SLOPE_LINEAR_MAX = 1.3;
const SLOPE_QUADRATIC_MIN = 1.7;
const EXACT_TOL = 1e-5;
const RATIO_AT = 4096;

const runsAt = (n: number) => (n <= 2048 ? 9 : n <= 4096 ? 7 : n <= 8192 ? 5 : 3);

/** A full garbage collection (V8's gc(), exposed for this process without a command-line flag). */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString("--expose_gc");
  return vm.runInNewContext("gc") as () => void;
})();
const FNS: ScalingFunctions = { scaledDotProductAttention, ...efficient };

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function b64(t: tf.Tensor): string {
  const data = t.dataSync() as Float32Array;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/** Tiled against standard attention on small inputs with awkward blocks, causal and not. */
function exactnessRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  const n = 1000;
  const [q, k, v] = [randn([2, n, 64], 71), randn([2, n, 64], 72), randn([2, n, 64], 73)];
  const mask = causalMask(n);
  for (const causal of [false, true]) {
    const want = scaledDotProductAttention(q, k, v, causal ? mask : undefined);
    let worst = 0;
    const cases = [[128, 96], [100, 77], [1, 1000], [333, 1024]];
    for (const [blockQ, blockK] of cases) {
      const got = efficient.tiledAttention(q, k, v, { blockQ, blockK, causal });
      worst = Math.max(worst, maxAbsDiff(got, want.output));
      got.dispose();
    }
    tf.dispose([want.output, want.weights]);
    rows.push({
      name: `tiled attention exact, q/k/v [2,${n},64]`, variant: `max |tiled − standard|${causal ? ", causal" : ""}`, value: worst, unit: "",
      detail: `blocks ${cases.map(([a, b]) => `${a}x${b}`).join(", ")}`, target: { op: "<=", value: EXACT_TOL },
    });
  }
  tf.dispose([q, k, v, mask]);
  return rows;
}

function matrix(title: string, points: readonly ScalingPoint[], cell: (p: ScalingPoint) => string): string {
  const ns = [...new Set(points.map((p) => p.n))].sort((a, b) => a - b);
  const head = ["method", ...ns.map((n) => `n=${n}`)];
  const body = SCALING_METHODS.map((m) => [m, ...ns.map((n) => {
    const p = points.find((x) => x.method === m && x.n === n);
    return p ? cell(p) : "—";
  })]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return `${title}\n${line(head)}\n${body.map(line).join("\n")}`;
}

export const efficientBenchmark: Benchmark = {
  name: "efficient",
  async run(): Promise<BenchRow[]> {
    await setupBackend("wasm", { quiet: true });
    const write = process.argv.includes("--write");
    const load0 = os.loadavg();
    const tensorsBefore = tf.memory().numTensors;
    const rows: BenchRow[] = exactnessRows();
    const version = torchVersion();
    const peer = version ? new PythonPeer("efficient.py") : undefined;
    const torchTimes: Record<string, { n: number; cpu: number[]; wall: number[] }[]> = { standard: [], tiled: [] };
    const points: ScalingPoint[] = [];
    let worstSweep = 0;
    let peerAgreement = 0;
    let peerTiled = 0;
    const s = SCALING_SETTINGS;
    for (const n of EFFICIENT_NS) {
      const x = scalingInputs(n);
      const peak: Partial<Record<ScalingMethod, number>> = {};
      const outputs: Partial<Record<ScalingMethod, tf.Tensor>> = {};
      for (const method of SCALING_METHODS) {
        const m = measurePeakMemory(() => scalingCall(FNS, method, x));
        peak[method] = m.peakBytes;
        outputs[method] = m.result;
      }
      worstSweep = Math.max(worstSweep, maxAbsDiff(outputs.tiled!, outputs.standard!));
      if (peer) {
        const r = await peer.request<{ standard_vs_ours: number; tiled_vs_standard: number }>({
          cmd: "setup", n, d: s.d, blockQ: s.blockQ, blockK: s.blockK, q: b64(x.q), k: b64(x.k), v: b64(x.v), standard: b64(outputs.standard!),
        });
        peerAgreement = Math.max(peerAgreement, r.standard_vs_ours);
        peerTiled = Math.max(peerTiled, r.tiled_vs_standard);
        torchTimes.standard.push({ n, cpu: [], wall: [] });
        torchTimes.tiled.push({ n, cpu: [], wall: [] });
      }
      tf.dispose(Object.values(outputs));
      const samples: Record<string, { cpu: number[]; wall: number[] }> = Object.fromEntries(SCALING_METHODS.map((m) => [m, { cpu: [], wall: [] }]));
      for (let r = 0; r < runsAt(n); r++) {
        // Round r starts with method r (mod 5): each method follows each other one in turn.
        const order = SCALING_METHODS.map((_, i) => SCALING_METHODS[(i + r) % SCALING_METHODS.length]);
        for (const method of order) {
          collectGarbage();
          const t = cpuTimeMs(() => scalingCall(FNS, method, x));
          samples[method].cpu.push(t.cpuMs);
          samples[method].wall.push(t.wallMs);
        }
        if (peer) {
          for (const method of ["standard", "tiled"]) {
            const t = await peer.request<{ cpu_ms: number; wall_ms: number }>({ cmd: "time", method, blockQ: s.blockQ, blockK: s.blockK });
            const last = torchTimes[method][torchTimes[method].length - 1];
            last.cpu.push(t.cpu_ms);
            last.wall.push(t.wall_ms);
          }
        }
      }
      disposeScalingInputs(x);
      for (const method of SCALING_METHODS) {
        const cpu = samples[method].cpu;
        const mid = median(cpu);
        // The wall time of the call whose CPU time is closest to the median.
        const at = cpu.reduce((best, c, i) => (Math.abs(c - mid) < Math.abs(cpu[best] - mid) ? i : best), 0);
        points.push({ method, n, peakBytes: peak[method]!, cpuMs: mid, wallMs: samples[method].wall[at], samples: cpu.map((v) => Math.round(v * 10) / 10) });
      }
      console.log(`  n=${n} (${runsAt(n)} rounds): ${SCALING_METHODS.map((m) => `${m} ${median(samples[m].cpu).toFixed(0)} ms / ${fmtBytes(peak[m]!)}`).join(", ")}`);
    }
    peer?.close();

    console.log("\n" + matrix("CPU time per call (median of the calls, ms)", points, (p) => p.cpuMs.toFixed(p.cpuMs < 100 ? 1 : 0)));
    console.log("\n" + matrix("wall time of the median call (ms)", points, (p) => p.wallMs.toFixed(p.wallMs < 100 ? 1 : 0)));
    console.log("\n" + matrix("peak tensor memory of one call", points, (p) => fmtBytes(p.peakBytes)) + "\n");

    rows.push({ name: `tiled attention exact, sweep n=${EFFICIENT_NS[0]}…${EFFICIENT_NS[EFFICIENT_NS.length - 1]}`, variant: "max |tiled − standard|", value: worstSweep, unit: "", detail: `blocks ${s.blockQ}x${s.blockK}, d=${s.d}`, target: { op: "<=", value: EXACT_TOL } });
    for (const method of SCALING_METHODS) {
      const mine = points.filter((p) => p.method === method);
      const timed = mine.filter((p) => p.n >= TIME_FIT_FROM);
      const time = fitPowerLaw(timed.map((p) => p.n), timed.map((p) => p.cpuMs));
      const mem = fitPowerLaw(mine.map((p) => p.n), mine.map((p) => p.peakBytes));
      const quadratic = method === "standard";
      const timeTarget = quadratic ? { op: ">=" as const, value: SLOPE_QUADRATIC_MIN } : method === "tiled" ? undefined : { op: "<=" as const, value: SLOPE_LINEAR_MAX };
      const memTarget = quadratic ? { op: ">=" as const, value: SLOPE_QUADRATIC_MIN } : { op: "<=" as const, value: SLOPE_LINEAR_MAX };
      rows.push({ name: `efficient: ${SCALING_LABELS[method]}`, variant: `time slope (CPU, n ≥ ${TIME_FIT_FROM})`, value: time.slope, unit: "", detail: `r² ${time.r2.toFixed(3)}; ${timed.map((p) => `${p.n}: ${p.cpuMs.toFixed(0)} ms`).join(", ")}`, target: timeTarget });
      rows.push({ name: `efficient: ${SCALING_LABELS[method]}`, variant: "peak-memory slope", value: mem.slope, unit: "", detail: `${fmtBytes(mine[0].peakBytes)} at n=${mine[0].n} → ${fmtBytes(mine[mine.length - 1].peakBytes)} at n=${mine[mine.length - 1].n}`, target: memTarget });
    }
    const at = (method: ScalingMethod) => points.find((p) => p.method === method && p.n === RATIO_AT)!;
    rows.push({
      name: `efficient: memory at n=${RATIO_AT}`, variant: "standard / tiled peak memory", value: at("standard").peakBytes / at("tiled").peakBytes, unit: "×",
      detail: `${fmtBytes(at("standard").peakBytes)} vs ${fmtBytes(at("tiled").peakBytes)}; time ${at("tiled").cpuMs.toFixed(0)} vs ${at("standard").cpuMs.toFixed(0)} ms (tiled / standard ${(at("tiled").cpuMs / at("standard").cpuMs).toFixed(2)}×)`,
    });
    if (peer) {
      rows.push({ name: "efficient: PyTorch peer", variant: `agreement: max |PyTorch standard − ours|`, value: peerAgreement, unit: "", detail: `PyTorch ${version}, 1 thread, same inputs, every n`, target: { op: "<=", value: 1e-4 } });
      rows.push({ name: "efficient: PyTorch peer", variant: "max |PyTorch tiled − PyTorch standard|", value: peerTiled, unit: "", detail: `the same online softmax in torch ops, blocks ${s.blockQ}x${s.blockK}`, target: { op: "<=", value: EXACT_TOL } });
      for (const method of ["standard", "tiled"] as const) {
        const ours = (n: number) => points.find((p) => p.method === method && p.n === n)!;
        const ratios = torchTimes[method].map((t) => ours(t.n).cpuMs / median(t.cpu));
        const wallRatios = torchTimes[method].map((t) => ours(t.n).wallMs / median(t.wall));
        const ts = torchTimes[method].filter((t) => t.n >= TIME_FIT_FROM);
        const slope = fitPowerLaw(ts.map((t) => t.n), ts.map((t) => median(t.cpu))).slope;
        rows.push({
          name: `efficient: PyTorch ${method} attention`, variant: "CPU time, ours / PyTorch (median over n)", value: median(ratios), unit: "×",
          detail: `PyTorch slope ${slope.toFixed(2)}; per n ${torchTimes[method].map((t, i) => `${t.n}: ${ratios[i].toFixed(2)}`).join(", ")}`,
        });
        rows.push({
          name: `efficient: PyTorch ${method} attention`, variant: "wall time, ours / PyTorch (median over n)", value: median(wallRatios), unit: "×",
          detail: `PyTorch at n=${RATIO_AT}: ${median(torchTimes[method].find((t) => t.n === RATIO_AT)!.cpu).toFixed(0)} ms CPU, ${median(torchTimes[method].find((t) => t.n === RATIO_AT)!.wall).toFixed(0)} ms wall (medians)`,
        });
      }
    } else {
      rows.push({ name: "efficient: PyTorch peer", variant: "skipped", value: 0, unit: "", detail: "/usr/bin/python3 cannot import torch (apt-get install python3-torch)" });
    }

    const file = path.join(__dirname, "..", SCALING_RESULTS_FILE);
    const load1 = os.loadavg();
    const results: ScalingResults = {
      made: {
        command: "npm run bench -- efficient --write",
        date: new Date().toISOString(),
        machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
        load: `1-min load average ${load0[0].toFixed(1)} at start, ${load1[0].toFixed(1)} at end (shared machine)`,
        node: process.version,
        tfjs: tf.version.tfjs,
        backend: tf.getBackend(),
      },
      settings: SCALING_SETTINGS,
      timeFitFrom: TIME_FIT_FROM,
      points,
    };
    if (write) {
      fs.writeFileSync(file, JSON.stringify(results, null, 1) + "\n");
      console.log(`wrote ${SCALING_RESULTS_FILE}`);
    } else if (fs.existsSync(file)) {
      const committed = JSON.parse(fs.readFileSync(file, "utf8")) as ScalingResults;
      const differ = points.filter((p) => committed.points.find((c) => c.method === p.method && c.n === p.n)?.peakBytes !== p.peakBytes);
      rows.push({ name: `efficient: ${SCALING_RESULTS_FILE}`, variant: "memory figures that differ from this run", value: differ.length, unit: "", detail: `of ${points.length}; made ${committed.made.date.slice(0, 10)}, ${committed.made.load}`, target: { op: "<=", value: 0 } });
    }
    rows.push({ name: "efficient: machine load", variant: "1-min load average, start → end", value: load1[0], unit: "", detail: `${load0[0].toFixed(1)} → ${load1[0].toFixed(1)} on ${os.cpus().length} cores` });
    rows.push({ name: "efficient: tensors left behind", variant: "count", value: tf.memory().numTensors - tensorsBefore, unit: "", target: { op: "<=", value: 0 } });
    return rows;
  },
};
