/**
 * `npm run bench -- attention`: scaled dot-product attention forward at h=8, n=512, d=64, timed
 * round by round, interleaved, as
 *   reference — solutions/attention.ts's scaledDotProductAttention (what the notebooks run);
 *   fast      — the fast path's attention kernel (lib/support/fast, heads read in place);
 *   textbook  — tf.matMul and a softmax built from five ops, for comparison;
 *   torch     — softmax(QKᵀ/√d)V in PyTorch on one CPU thread, when python3-torch is installed;
 * and once on the pure-JS cpu backend. Targets: reference / PyTorch and fast / PyTorch ≤ 2 (median
 * of per-round wall-time ratios; the CPU-time ratio is printed beside it), and absolute medians
 * of CPU time that only catch a broken path on a noisy machine.
 */
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/support/backend";
import { selfAttention } from "../lib/support/fast/ops";
import { randn } from "../lib/support/random";
import { scaledDotProductAttention, softmax } from "../solutions/attention";
import { Benchmark, BenchRow, median, timeTensorFn } from "./harness";
import { PythonPeer, torchVersion } from "./peer";

const H = 8;
const N = 512;
const D = 64;
/** Two batched matMuls of 2·h·n²·d flops each (softmax and scaling are lower order). */
const FLOPS = 2 * (2 * H * N * N * D);
const ROUNDS = 7;
const RUNS = 5;
export const ATTENTION_TARGET_RATIO = 2;
export const SDPA_TARGET_MS = { wasm: 130, cpu: 2500 };

/** softmax(q kᵀ / sqrt(d)) v written the obvious way, for comparison only. */
function textbookAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.matMul(softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(D))), v));
}

export const attentionBenchmark: Benchmark = {
  name: "attention",
  async run(): Promise<BenchRow[]> {
    const name = `attention forward h=${H} n=${N} d=${D}`;
    const gflops = (ms: number) => `${(FLOPS / ms / 1e6).toFixed(1)} GFLOP/s`;
    const rows: BenchRow[] = [];
    await setupBackend("wasm", { quiet: true });
    const [q, k, v] = [randn([H, N, D], 11), randn([H, N, D], 12), randn([H, N, D], 13)];
    // The fast kernel takes q | k | v side by side, heads in the columns: [1, n, 3·h·d].
    const heads = (x: tf.Tensor) => tf.reshape(tf.transpose(x, [1, 0, 2]), [1, N, H * D]);
    const qkv = tf.tidy(() => tf.concat([heads(q), heads(k), heads(v)], 2));
    const fastOut = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(selfAttention(qkv, H).output, [N, H, D]), [1, 0, 2]), [H, N, D]));
    const refOut = scaledDotProductAttention(q, k, v).output;
    const agreement = tf.tidy(() => tf.max(tf.abs(tf.sub(fastOut, refOut))).dataSync()[0]);
    tf.dispose([fastOut, refOut]);
    rows.push({ name, variant: "agreement: max |fast − reference|", value: agreement, unit: "", target: { op: "<=", value: 1e-5 } });

    const version = torchVersion();
    const peer = version ? new PythonPeer("attention.py") : undefined;
    if (peer) await peer.request({ cmd: "setup", heads: H, n: N, d: D, seed: 1 });
    const variants = {
      reference: () => ({ ...scaledDotProductAttention(q, k, v) }),
      fast: () => selfAttention(qkv, H).output,
      textbook: () => textbookAttention(q, k, v),
    };
    const times: Record<string, number[]> = { reference: [], fast: [], textbook: [], torch: [] };
    const cpu: Record<string, number[]> = { reference: [], fast: [], textbook: [], torch: [] };
    for (const f of Object.values(variants)) await timeTensorFn(f, { warmup: 2, runs: 1 });
    if (peer) await peer.request({ cmd: "time", runs: 3 });
    for (let r = 0; r < ROUNDS; r++) {
      for (const [key, f] of Object.entries(variants)) {
        if (key === "textbook" && r % 2 === 1) continue; // slow and only for comparison
        const t = await timeTensorFn(f, { warmup: 0, runs: RUNS });
        times[key].push(t.medianMs);
        cpu[key].push(t.cpuMedianMs);
      }
      if (peer) {
        const t = await peer.request<{ wall_ms: number[]; cpu_ms: number }>({ cmd: "time", runs: RUNS });
        times.torch.push(median(t.wall_ms));
        cpu.torch.push(t.cpu_ms);
      }
    }
    peer?.close();
    tf.dispose([q, k, v, qkv]);
    const ratio = (key: string, of = times) => median(of[key].map((x, i) => x / of.torch[i]));
    const row = (variant: string, key: string): BenchRow => ({
      name, variant: `${variant}, wall`, value: median(times[key]), unit: "ms",
      detail: `CPU ${median(cpu[key]).toFixed(1)} ms · ${gflops(median(times[key]))} · rounds ${times[key].map((x) => x.toFixed(0)).join(" ")}`,
    });
    const cpuRow = (variant: string, ms: number, target: number): BenchRow => ({ name, variant: `${variant}, CPU time`, value: ms, unit: "ms", target: { op: "<=", value: target } });
    rows.push(row("reference scaledDotProductAttention, wasm", "reference"));
    rows.push(cpuRow("reference scaledDotProductAttention, wasm", median(cpu.reference), SDPA_TARGET_MS.wasm));
    rows.push(row("fast path attention kernel, wasm", "fast"));
    rows.push(row("textbook tf.matMul + five-op softmax, wasm", "textbook"));
    if (peer) {
      rows.push(row(`PyTorch ${version}, 1 thread`, "torch"));
      for (const key of ["reference", "fast"]) {
        rows.push({
          name, variant: `${key} / PyTorch (wall)`, value: ratio(key), unit: "×", detail: `CPU-time ratio ${ratio(key, cpu).toFixed(2)}`,
          target: { op: "<=", value: ATTENTION_TARGET_RATIO },
        });
      }
    } else {
      rows.push({ name, variant: "PyTorch peer", value: 0, unit: "", detail: "skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)" });
    }

    await setupBackend("cpu", { quiet: true });
    const [qc, kc, vc] = [randn([H, N, D], 11), randn([H, N, D], 12), randn([H, N, D], 13)];
    const js = await timeTensorFn(() => ({ ...scaledDotProductAttention(qc, kc, vc) }), { runs: 3, warmup: 1 });
    tf.dispose([qc, kc, vc]);
    rows.push({ name, variant: "reference, cpu backend (pure JS), wall", value: js.medianMs, unit: "ms", detail: gflops(js.medianMs) });
    rows.push(cpuRow("reference, cpu backend (pure JS)", js.cpuMedianMs, SDPA_TARGET_MS.cpu));
    await setupBackend("wasm", { quiet: true });
    return rows;
  },
};
