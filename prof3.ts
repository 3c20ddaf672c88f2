import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "./lib/support/backend";
import { AdamW } from "./lib/support/fast/adam";
import { crossEntropy } from "./lib/support/fast/ops";
import { createGpt, GPT_BENCH_CONFIG, gptForwardFast, gptVariables } from "./lib/support/models/gpt";
(async () => {
  await setupBackend("wasm", { quiet: true });
  const p = createGpt(GPT_BENCH_CONFIG, 5);
  const opt = new AdamW(gptVariables(p), { learningRate: 2e-3 });
  const ids = tf.randomUniform([32, 17], 0, 28, "int32", 3);
  const x = ids.slice([0, 0], [32, 16]); const y = ids.slice([0, 1], [32, 16]);
  const step = () => opt.step(() => crossEntropy(gptForwardFast(p, x), y));
  for (let i = 0; i < 300; i++) step();
})();
