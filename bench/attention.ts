/**
 * Scaled dot-product attention forward pass at h=8, n=512, d=64 (the size the README quotes),
 * reference implementation, on the wasm and cpu backends.
 */
import * as tf from "@tensorflow/tfjs";
import { BackendName, setupBackend } from "../lib/support/backend";
import { randn } from "../lib/support/random";
import { scaledDotProductAttention } from "../solutions/attention";
import { Benchmark, BenchRow, timeTensorFn } from "./harness";

const H = 8;
const N = 512;
const D = 64;
/** Two batched matMuls of 2·h·n²·d flops each (softmax and scaling are lower order). */
const FLOPS = 2 * (2 * H * N * N * D);

/** Targets (ms, median): generous enough for a shared 2-core machine, tight enough to catch a regression. */
export const SDPA_TARGET_MS: Record<BackendName, number> = { wasm: 300, cpu: 2500 };

export const attentionBenchmark: Benchmark = {
  name: "attention",
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    for (const backend of ["wasm", "cpu"] as const) {
      await setupBackend(backend, { quiet: true });
      const [q, k, v] = [randn([H, N, D], 11), randn([H, N, D], 12), randn([H, N, D], 13)];
      const { medianMs } = await timeTensorFn(() => ({ ...scaledDotProductAttention(q, k, v) }), { runs: backend === "cpu" ? 3 : 9, warmup: 1 });
      tf.dispose([q, k, v]);
      rows.push({
        name: `sdpa forward h=${H} n=${N} d=${D}`,
        variant: backend,
        value: medianMs,
        unit: "ms",
        detail: `${(FLOPS / medianMs / 1e6).toFixed(2)} GFLOP/s`,
        target: { op: "<=", value: SDPA_TARGET_MS[backend] },
      });
    }
    return rows;
  },
};
