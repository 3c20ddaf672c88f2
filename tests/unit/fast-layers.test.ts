/**
 * The fast path's layers and GPT against the course's reference functions (solutions/), on the
 * same injected parameter objects: outputs, attention weights, loss and gradients to 1e-5
 * relative, and the same parameters after several optimizer steps.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { relErr } from "./compare";
import { setupBackend } from "../../lib/support/backend";
import { AdamW } from "../../lib/support/fast/adam";
import { decoderLayer, encoderLayer, selfAttentionLayer } from "../../lib/support/fast/layers";
import { crossEntropy as fastCrossEntropy } from "../../lib/support/fast/ops";
import { createGpt, disposeGpt, GptConfig, gptForwardFast, gptVariables, namedGptVariables } from "../../lib/support/models/gpt";
import { disposeParams, newDecoderLayer, newEncoderLayer, SeedSequence, variablesOf } from "../../lib/support/models/params";
import { crossEntropy } from "../../lib/support/train";
import { causalMask, paddingMask } from "../../solutions/attention";
import * as ref from "../../solutions/blocks";
import { gptForward } from "../../solutions/gpt";
import { multiHeadAttention } from "../../solutions/multihead";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});


/** Randomises every bias and layer-norm parameter, so a swapped or dropped one shows. */
function jitter(params: unknown, seed: number): void {
  variablesOf(params).forEach((v, i) => {
    if (v.rank === 1) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", seed + i))));
  });
}

const x = () => tf.randomNormal([3, 7, 16], 0, 1, "float32", 5);

describe("fast layers equal the reference layers on the same parameters", () => {
  it("self-attention layer: with and without biases, every mask form", () => {
    const layer = newEncoderLayer(16, 4, 32, new SeedSequence(3));
    jitter(layer, 100);
    const input = x();
    const lengths = [7, 4, 1];
    const keyValid = tf.tidy(() => tf.reshape(paddingMask(lengths, 7), [3, 7]));
    const cases: [Parameters<typeof selfAttentionLayer>[2], tf.Tensor | undefined][] = [
      [{}, undefined],
      [{ causal: true }, causalMask(7)],
      [{ keyValid }, paddingMask(lengths, 7)],
      [{ causal: true, keyValid }, tf.mul(causalMask(7), paddingMask(lengths, 7))],
    ];
    const noBias = { ...layer.selfAttn, bq: undefined, bk: undefined, bv: undefined, bo: undefined };
    for (const params of [layer.selfAttn, noBias]) {
      for (const [opts, mask] of cases) {
        tf.tidy(() => {
          const f = selfAttentionLayer(params, input, opts);
          const r = multiHeadAttention(params, input, input, mask);
          expect(relErr(f.output, r.output)).toBeLessThan(1e-5);
          expect(relErr(f.weights, r.weights)).toBeLessThan(1e-5);
        });
      }
    }
    tf.dispose([input, keyValid, ...cases.map((c) => c[1]).filter((m): m is tf.Tensor => m !== undefined)]);
    disposeParams(layer);
  });

  it("encoder layer (padding) and decoder layer (causal + memory padding): outputs and gradients", () => {
    const enc = newEncoderLayer(16, 2, 40, new SeedSequence(4));
    const dec = newDecoderLayer(16, 2, 40, new SeedSequence(5));
    jitter([enc, dec], 200);
    const src = x();
    const tgt = tf.randomNormal([3, 5, 16], 0, 1, "float32", 6);
    const lengths = [7, 3, 5];
    const keyValid = tf.tidy(() => tf.reshape(paddingMask(lengths, 7), [3, 7]));
    const pad = paddingMask(lengths, 7);
    const causal = causalMask(5);
    const vars = variablesOf([enc, dec]);
    const fastLoss = () => {
      const m = encoderLayer(enc, src, { keyValid }).output;
      const y = decoderLayer(dec, tgt, m, { memoryKeyValid: keyValid }).output;
      return tf.add(tf.sum(tf.square(m)), tf.sum(tf.sin(y))) as tf.Scalar;
    };
    const refLoss = () => {
      const m = ref.encoderLayer(enc, src, pad).output;
      const y = ref.decoderLayer(dec, tgt, m, causal, pad).output;
      return tf.add(tf.sum(tf.square(m)), tf.sum(tf.sin(y))) as tf.Scalar;
    };
    tf.tidy(() => {
      const f = tf.variableGrads(fastLoss, vars);
      const r = tf.variableGrads(refLoss, vars);
      expect(Math.abs(f.value.dataSync()[0] - r.value.dataSync()[0]) / Math.abs(r.value.dataSync()[0])).toBeLessThan(1e-5);
      for (const v of vars) expect(relErr(f.grads[v.name], r.grads[v.name]), v.name).toBeLessThan(1e-5);
      const fe = encoderLayer(enc, src, { keyValid });
      const re = ref.encoderLayer(enc, src, pad);
      expect(relErr(fe.selfWeights, re.selfWeights)).toBeLessThan(1e-5);
      const fd = decoderLayer(dec, tgt, fe.output, { memoryKeyValid: keyValid });
      const rd = ref.decoderLayer(dec, tgt, re.output, causal, pad);
      expect(relErr(fd.crossWeights, rd.crossWeights)).toBeLessThan(1e-5);
      expect(relErr(fd.selfWeights, rd.selfWeights)).toBeLessThan(1e-5);
    });
    tf.dispose([src, tgt, keyValid, pad, causal]);
    disposeParams([enc, dec]);
  });
});

describe("GPT: fast path vs the reference gptForward (exercise 5.4, from the reference blocks)", () => {
  const config: GptConfig = { vocabSize: 23, context: 12, d: 32, numHeads: 4, dff: 64, numLayers: 2 };
  const ids = () => tf.randomUniform([4, 11], 0, 23, "int32", 9);

  it("same logits, loss and gradients on injected weights", () => {
    const params = createGpt(config, 11);
    jitter(params, 300);
    const input = ids();
    const targets = tf.randomUniform([4, 11], 0, 23, "int32", 10);
    tf.tidy(() => {
      expect(relErr(gptForwardFast(params, input), gptForward(params, input))).toBeLessThan(1e-5);
      const vars = gptVariables(params);
      const f = tf.variableGrads(() => fastCrossEntropy(gptForwardFast(params, input), targets), vars);
      const r = tf.variableGrads(() => crossEntropy(gptForward(params, input), targets), vars);
      expect(Math.abs(f.value.dataSync()[0] - r.value.dataSync()[0])).toBeLessThan(1e-5);
      for (const v of vars) expect(relErr(f.grads[v.name], r.grads[v.name]), v.name).toBeLessThan(1e-5);
    });
    tf.dispose([input, targets]);
    disposeGpt(params);
  });

  it("same parameters after several AdamW steps, on the fast path and on the plain one", async () => {
    const input = ids();
    const targets = tf.randomUniform([4, 11], 0, 23, "int32", 12);
    const a = createGpt(config, 13);
    const b = createGpt(config, 13);
    const optA = new AdamW(gptVariables(a), { learningRate: 3e-3 });
    const optB = new AdamW(gptVariables(b), { learningRate: 3e-3 });
    for (let s = 0; s < 5; s++) {
      optA.step(() => fastCrossEntropy(gptForwardFast(a, input), targets));
      optB.step(() => crossEntropy(gptForward(b, input), targets));
    }
    // optB's update ran on wasm through the same kernel; compare with the tfjs-ops fallback too.
    await setupBackend("cpu", { quiet: true });
    const c = createGpt(config, 13);
    const input2 = tf.tensor(input.arraySync() as number[][], undefined, "int32");
    const targets2 = tf.tensor(targets.arraySync() as number[][], undefined, "int32");
    const optC = new AdamW(gptVariables(c), { learningRate: 3e-3 });
    for (let s = 0; s < 5; s++) optC.step(() => crossEntropy(gptForward(c, input2), targets2));
    const onCpu = gptVariables(c).map((v) => Float32Array.from(v.dataSync()));
    optC.dispose();
    disposeGpt(c);
    tf.dispose([input2, targets2]);
    await setupBackend("wasm", { quiet: true });
    // Key biases are left out: their exact gradient is 0 (adding q·bk to every score of a row does
    // not change the softmax), so what they get is rounding noise, which Adam scales up to ±lr.
    const names = new Map(namedGptVariables(a).map((n) => [n.variable, n.name]));
    tf.tidy(() => gptVariables(a).forEach((v, i) => {
      if (names.get(v)!.endsWith("selfAttn.bk")) return;
      const w = gptVariables(b)[i];
      expect(relErr(v, w), names.get(v)).toBeLessThan(1e-5);
      expect(relErr(v, tf.tensor(onCpu[i], v.shape)), `${names.get(v)} vs cpu`).toBeLessThan(1e-5);
    }));
    optA.dispose();
    optB.dispose();
    disposeGpt(a);
    disposeGpt(b);
    tf.dispose([input, targets]);
  });
});
