/**
 * `npm run bench -- gpt-step`: one training step of a 4-layer d=64 GPT (batch 32, context 16,
 * ≈205k parameters, AdamW) three ways, interleaved round by round on the same machine:
 *   plain — built from the reference exercise functions, differentiated by tfjs, tf.train.adam;
 *   fast  — lib/support/fast (wasm kernels with hand-written gradients, fused AdamW);
 *   torch — the same model and weights in PyTorch on one CPU thread (bench/pytorch/gpt_step.py),
 *           when Debian's python3-torch is installed.
 * Before timing, it checks that the three compute the same thing on injected weights: loss and
 * gradients at the start, and the losses of five AdamW steps (fast vs PyTorch).
 * Target: fast / PyTorch ≤ 2.5 (median of per-round ratios of wall time per step).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/support/backend";
import { AdamW } from "../lib/support/fast/adam";
import { crossEntropy as fastCrossEntropy } from "../lib/support/fast/ops";
import { createGpt, disposeGpt, GPT_BENCH_CONFIG, GptParams, gptForwardFast, gptVariables, namedGptVariables } from "../lib/support/models/gpt";
import { countParameters } from "../lib/support/models/params";
import { crossEntropy } from "../lib/support/train";
import { gptForward } from "../solutions/gpt";
import { Benchmark, BenchRow, median } from "./harness";
import { cpuMs, PythonPeer, torchVersion, writeFlatWeights } from "./peer";

const CONFIG = GPT_BENCH_CONFIG;
const BATCH = 32;
const LR = 2e-3;
const WEIGHT_DECAY = 0.01;
const N_BATCHES = 8;
const ROUNDS = 5;
const FAST_STEPS = 20;
const PLAIN_STEPS = 3;
export const GPT_STEP_TARGET_RATIO = 2.5;

/** Deterministic token batches [N_BATCHES, BATCH, context + 1] (an LCG; no tfjs randomness). */
function makeBatches(): Int32Array {
  const out = new Int32Array(N_BATCHES * BATCH * (CONFIG.context + 1));
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 8) % CONFIG.vocabSize;
  }
  return out;
}

function batchTensors(all: Int32Array, i: number): { inputs: tf.Tensor; targets: tf.Tensor } {
  const t1 = CONFIG.context + 1;
  const b = tf.tensor3d(all.subarray((i % N_BATCHES) * BATCH * t1, ((i % N_BATCHES) + 1) * BATCH * t1), [1, BATCH, t1], "int32").reshape([BATCH, t1]);
  return tf.tidy(() => ({ inputs: tf.slice(b, [0, 0], [BATCH, CONFIG.context]), targets: tf.slice(b, [0, 1], [BATCH, CONFIG.context]) }));
}

const plainLoss = (params: GptParams, inputs: tf.Tensor, targets: tf.Tensor) => crossEntropy(gptForward(params, inputs), targets);
const fastLoss = (params: GptParams, inputs: tf.Tensor, targets: tf.Tensor) => fastCrossEntropy(gptForwardFast(params, inputs), targets);

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

/** Loss and flattened gradients (in manifest order) at the current weights. */
function lossAndGrads(params: GptParams, loss: typeof plainLoss, batches: Int32Array): { loss: number; grads: Float32Array } {
  const named = namedGptVariables(params);
  return tf.tidy(() => {
    const { inputs, targets } = batchTensors(batches, 0);
    const { value, grads } = tf.variableGrads(() => loss(params, inputs, targets), named.map((n) => n.variable));
    const flat = tf.concat(named.map((n) => tf.reshape(grads[n.variable.name], [-1])));
    return { loss: value.dataSync()[0], grads: flat.dataSync() as Float32Array };
  });
}

interface RoundTimes {
  wallMs: number[];
  cpuMs: number;
}

function timeSteps(step: (i: number) => number, steps: number, offset: number): RoundTimes {
  const wallMs: number[] = [];
  const c0 = cpuMs();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const loss = step(offset + i);
    if (!Number.isFinite(loss)) throw new Error(`gpt-step: loss became ${loss}`);
    wallMs.push(performance.now() - t0);
  }
  return { wallMs, cpuMs: (cpuMs() - c0) / steps };
}

export const gptStepBenchmark: Benchmark = {
  name: "gpt-step",
  async run(): Promise<BenchRow[]> {
    await setupBackend("wasm", { quiet: true });
    const name = `GPT step L=${CONFIG.numLayers} d=${CONFIG.d} h=${CONFIG.numHeads} B=${BATCH} T=${CONFIG.context}`;
    const rows: BenchRow[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const batches = makeBatches();
    const params = createGpt(CONFIG, 5);
    const nParams = countParameters(gptVariables(params));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-gpt-step-"));

    // --- agreement on injected weights ---------------------------------------------------------
    const plain0 = lossAndGrads(params, plainLoss, batches);
    const fast0 = lossAndGrads(params, fastLoss, batches);
    rows.push({ name, variant: "agreement: |loss fast − plain|", value: Math.abs(fast0.loss - plain0.loss), unit: "", detail: `loss ${fast0.loss.toFixed(6)}`, target: { op: "<=", value: 1e-5 } });
    rows.push({ name, variant: "agreement: gradients fast vs plain (max rel.)", value: maxRelErr(fast0.grads, plain0.grads), unit: "", target: { op: "<=", value: 1e-5 } });

    const version = torchVersion();
    let peer: PythonPeer | undefined;
    if (version) {
      const named = namedGptVariables(params);
      writeFlatWeights(named, path.join(tmp, "weights.bin"));
      fs.writeFileSync(path.join(tmp, "batches.bin"), Buffer.from(batches.buffer));
      peer = new PythonPeer("gpt_step.py");
      const loaded = await peer.request<{ parameters: number; torch: string; threads: number }>({
        cmd: "load", config: CONFIG, learningRate: LR, weightDecay: WEIGHT_DECAY,
        manifest: named.map((n) => ({ name: n.name, shape: n.variable.shape })),
        weights: path.join(tmp, "weights.bin"), batches: path.join(tmp, "batches.bin"),
        batch: { size: BATCH, length: CONFIG.context + 1 },
      });
      if (loaded.parameters !== nParams) throw new Error(`gpt-step: PyTorch model has ${loaded.parameters} parameters, tfjs ${nParams}`);
      const check = await peer.request<{ loss0: number; losses: number[]; after: number }>({ cmd: "check", steps: 5, grads: path.join(tmp, "grads.bin") });
      const torchGrads = new Float32Array(fs.readFileSync(path.join(tmp, "grads.bin")).buffer.slice(0));
      // Five AdamW steps on the fast path from the same start, on a copy of the weights.
      const copy = createGpt(CONFIG, 5);
      const opt = new AdamW(gptVariables(copy), { learningRate: LR, weightDecay: WEIGHT_DECAY });
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        losses.push(opt.step(() => tf.tidy(() => {
          const { inputs, targets } = batchTensors(batches, s);
          return fastLoss(copy, inputs, targets);
        })));
      }
      opt.dispose();
      disposeGpt(copy);
      rows.push({ name, variant: `agreement: |loss fast − torch ${loaded.torch}|`, value: Math.abs(fast0.loss - check.loss0), unit: "", detail: `torch loss ${check.loss0.toFixed(6)}`, target: { op: "<=", value: 1e-5 } });
      rows.push({ name, variant: "agreement: gradients fast vs torch (max rel.)", value: maxRelErr(fast0.grads, torchGrads), unit: "", target: { op: "<=", value: 1e-5 } });
      rows.push({ name, variant: "agreement: losses of 5 AdamW steps fast vs torch (max rel.)", value: maxRelErr(losses, check.losses), unit: "", detail: `fast ${losses.map((l) => l.toFixed(4)).join(" ")}`, target: { op: "<=", value: 1e-5 } });
    }

    // --- interleaved timing --------------------------------------------------------------------
    const plainOpt = tf.train.adam(LR);
    const plainParams = createGpt(CONFIG, 6);
    const plainStep = (i: number) => tf.tidy(() => {
      const { inputs, targets } = batchTensors(batches, i);
      return (plainOpt.minimize(() => plainLoss(plainParams, inputs, targets), true, gptVariables(plainParams)) as tf.Scalar).dataSync()[0];
    });
    const fastParams = createGpt(CONFIG, 7);
    const fastOpt = new AdamW(gptVariables(fastParams), { learningRate: LR, weightDecay: WEIGHT_DECAY });
    const fastStep = (i: number) => fastOpt.step(() => {
      const { inputs, targets } = batchTensors(batches, i);
      return fastLoss(fastParams, inputs, targets);
    });
    // Warm-up: wasm tier-up, tfjs kernel caches, PyTorch's allocator.
    timeSteps(plainStep, 2, 0);
    timeSteps(fastStep, 10, 0);
    if (peer) await peer.request({ cmd: "time", steps: 10 });
    const per: Record<"plain" | "fast" | "torch", { wall: number[]; cpu: number[] }> = { plain: { wall: [], cpu: [] }, fast: { wall: [], cpu: [] }, torch: { wall: [], cpu: [] } };
    let torchRss = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const p = timeSteps(plainStep, PLAIN_STEPS, r * PLAIN_STEPS);
      per.plain.wall.push(median(p.wallMs));
      per.plain.cpu.push(p.cpuMs);
      const f = timeSteps(fastStep, FAST_STEPS, r * FAST_STEPS);
      per.fast.wall.push(median(f.wallMs));
      per.fast.cpu.push(f.cpuMs);
      if (peer) {
        const t = await peer.request<{ wall_ms: number[]; cpu_ms: number; max_rss_kb: number }>({ cmd: "time", steps: FAST_STEPS });
        per.torch.wall.push(median(t.wall_ms));
        per.torch.cpu.push(t.cpu_ms / FAST_STEPS);
        torchRss = t.max_rss_kb;
      }
    }
    plainOpt.dispose();
    fastOpt.dispose();
    disposeGpt(plainParams);
    disposeGpt(fastParams);
    disposeGpt(params);
    peer?.close();
    fs.rmSync(tmp, { recursive: true, force: true });

    const tokens = BATCH * CONFIG.context;
    const timeRow = (variant: string, key: keyof typeof per): BenchRow => {
      const ms = median(per[key].wall);
      return { name, variant, value: ms, unit: "ms/step", detail: `CPU ${median(per[key].cpu).toFixed(1)} ms/step · ${Math.round((1000 * tokens) / ms)} tokens/s · rounds ${per[key].wall.map((x) => x.toFixed(1)).join(" ")}` };
    };
    rows.push(timeRow("plain tfjs (reference blocks, tf autodiff), wall", "plain"));
    rows.push(timeRow("fast path (lib/support/fast), wall", "fast"));
    const ratio = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]));
    rows.push({ name, variant: "speed-up fast vs plain", value: ratio(per.plain.wall, per.fast.wall), unit: "×" });
    if (peer) {
      rows.push(timeRow(`PyTorch ${version}, 1 thread, wall`, "torch"));
      rows.push({ name, variant: "fast / PyTorch (wall)", value: ratio(per.fast.wall, per.torch.wall), unit: "×", detail: `CPU-time ratio ${ratio(per.fast.cpu, per.torch.cpu).toFixed(2)}; aim ≤ 1.5`, target: { op: "<=", value: GPT_STEP_TARGET_RATIO } });
      rows.push({ name, variant: "plain / PyTorch (wall)", value: ratio(per.plain.wall, per.torch.wall), unit: "×" });
    } else {
      rows.push({ name, variant: "PyTorch peer", value: 0, unit: "", detail: "skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)" });
    }
    const rssMb = process.resourceUsage().maxRSS / 1024;
    const wasmMb = ((tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory.buffer.byteLength) / 2 ** 20;
    rows.push({ name, variant: "peak memory", value: rssMb, unit: "MB", detail: `node max RSS; wasm heap ${wasmMb.toFixed(0)} MB${peer ? `; PyTorch max RSS ${(torchRss / 1024).toFixed(0)} MB` : ""}; ${nParams} parameters` });
    rows.push({ name, variant: "tensors left after training", value: tf.memory().numTensors - tensorsBefore, unit: "", target: { op: "<=", value: 0 } });
    return rows;
  },
};
