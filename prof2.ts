import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "./lib/support/backend";
import { AdamW } from "./lib/support/fast/adam";
import { crossEntropy } from "./lib/support/fast/ops";
import * as wasm from "./lib/support/fast/wasm";
import { createGpt, GPT_BENCH_CONFIG, gptForwardFast, gptVariables } from "./lib/support/models/gpt";
(async () => {
  await setupBackend("wasm", { quiet: true });
  const p = createGpt(GPT_BENCH_CONFIG, 5);
  const opt = new AdamW(gptVariables(p), { learningRate: 2e-3 });
  const ids = tf.randomUniform([32, 17], 0, 28, "int32", 3);
  const x = ids.slice([0, 0], [32, 16]); const y = ids.slice([0, 1], [32, 16]);
  const step = () => opt.step(() => crossEntropy(gptForwardFast(p, x), y));
  for (let i = 0; i < 40; i++) step();
  wasm.kernelsFor(tf.backend() as any);
  const cache = (wasm as any).__cacheForProfiling?.() ;
  const k0 = wasm.kernelsFor(tf.backend() as any) as any;
  const k: any = {}; for (const n of Object.keys(k0)) k[n] = k0[n];
  const acc: Record<string, { n: number; ms: number }> = {};
  for (const name of Object.keys(k)) {
    const f = k[name];
    if (typeof f !== "function") continue;
    acc[name] = { n: 0, ms: 0 };
    const wrapped = (...a: number[]) => { const t0 = performance.now(); const r = f(...a); acc[name].ms += performance.now() - t0; acc[name].n++; return r; };
    (k as any)[name] = wrapped;
  }
  wasm.__setExportsForProfiling(k);
  const N = 40;
  let kernels = 0;
  const t0 = performance.now(); for (let i = 0; i < N; i++) step(); const total = (performance.now() - t0) / N;
  let inK = 0;
  for (const [n, v] of Object.entries(acc).sort((a, b) => b[1].ms - a[1].ms)) { if (v.n) console.log(n.padEnd(22), (v.n / N).toFixed(0).padStart(4), (v.ms / N).toFixed(2)); inK += v.ms / N; }
  console.log("step ms", total.toFixed(2), "in wasm kernels", inK.toFixed(2));
  const prof = await tf.profile(() => { step(); });
  console.log("tfjs kernels per step", prof.kernels.length);
})();
