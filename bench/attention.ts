/**
 * Scaled dot-product attention forward pass at h=8, n=512, d=64 (the size the README quotes):
 * the reference implementation on wasm and cpu, next to the textbook version (tf.matMul and a
 * softmax built from five ops) so the effect of the fast paths stays visible.
 */
import * as tf from "@tensorflow/tfjs";
import { BackendName, setupBackend } from "../lib/support/backend";
import { randn } from "../lib/support/random";
import { scaledDotProductAttention, softmax } from "../solutions/attention";
import { Benchmark, BenchRow, timeTensorFn } from "./harness";

const H = 8;
const N = 512;
const D = 64;
/** Two batched matMuls of 2·h·n²·d flops each (softmax and scaling are lower order). */
const FLOPS = 2 * (2 * H * N * N * D);

/**
 * Targets (median ms). PyTorch's CPU attention takes about 65 ms at this size on a 2-core
 * machine of the kind CI uses; the wasm target is twice that, to absorb a noisy shared machine.
 */
export const SDPA_TARGET_MS: Record<BackendName, number> = { wasm: 130, cpu: 2500 };

/** softmax(q kᵀ / sqrt(d)) v written the obvious way, for comparison only. */
function textbookAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.matMul(softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(D))), v));
}

export const attentionBenchmark: Benchmark = {
  name: "attention",
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const name = `sdpa forward h=${H} n=${N} d=${D}`;
    const row = (variant: string, ms: number, target?: number): BenchRow => ({
      name,
      variant,
      value: ms,
      unit: "ms",
      detail: `${(FLOPS / ms / 1e6).toFixed(2)} GFLOP/s`,
      target: target === undefined ? undefined : { op: "<=", value: target },
    });
    for (const backend of ["wasm", "cpu"] as const) {
      await setupBackend(backend, { quiet: true });
      const [q, k, v] = [randn([H, N, D], 11), randn([H, N, D], 12), randn([H, N, D], 13)];
      const runs = backend === "cpu" ? 3 : 9;
      const reference = await timeTensorFn(() => ({ ...scaledDotProductAttention(q, k, v) }), { runs, warmup: 1 });
      rows.push(row(`reference, ${backend}`, reference.medianMs, SDPA_TARGET_MS[backend]));
      if (backend === "wasm") {
        const textbook = await timeTensorFn(() => textbookAttention(q, k, v), { runs: 5, warmup: 1 });
        rows.push(row(`textbook tf.matMul, ${backend}`, textbook.medianMs));
      }
      tf.dispose([q, k, v]);
    }
    await setupBackend("wasm", { quiet: true });
    return rows;
  },
};
