/**
 * The CNN baseline of notebook 07 (lib/support/models/cnn.ts): it trains on wasm (whose tf.conv2d
 * has no filter gradient) with the same logits and gradients as the same network on the cpu
 * backend built from tfjs's own differentiable tf.conv2d; seeded; no leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { crossEntropy } from "../../lib/support/fast/ops";
import { cnnForward, CNN_MNIST_CONFIG, CnnConfig, cnnVariables, createCnn, disposeCnn, namedCnnVariables } from "../../lib/support/models/cnn";
import { countParameters } from "../../lib/support/models/params";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

const config: CnnConfig = { imageSize: 8, channels: 1, kernel: 3, conv1: 4, conv2: 6, numClasses: 3 };

/** Loss and every gradient (in variable order) as plain arrays, on the current backend. */
function lossAndGrads(seed: number, pixels: Float32Array, labels: number[]): { loss: number; logits: Float32Array; grads: Float32Array[] } {
  const params = createCnn(config, seed);
  const out = tf.tidy(() => {
    const x = tf.tensor4d(pixels, [labels.length, 8, 8, 1]);
    const y = tf.tensor1d(labels, "int32");
    const vars = cnnVariables(params);
    const { value, grads } = tf.variableGrads(() => crossEntropy(cnnForward(params, x), y), vars);
    return { loss: value.dataSync()[0], logits: Float32Array.from(cnnForward(params, x).dataSync()), grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())) };
  });
  disposeCnn(params);
  return out;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  const scale = 1 + Math.max(...Array.from(b, Math.abs));
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) / scale;
}

describe("CNN baseline", () => {
  it("has seeded parameters in tf.conv2d's layout, and the documented size", () => {
    const a = createCnn(CNN_MNIST_CONFIG, 3);
    expect(namedCnnVariables(a).map((n) => `${n.name} [${n.variable.shape}]`)).toEqual(["conv1.w [3,3,1,16]", "conv1.b [16]", "conv2.w [3,3,16,32]", "conv2.b [32]", "head.w [1568,10]", "head.b [10]"]);
    expect(countParameters(cnnVariables(a))).toBe(9 * 16 + 16 + 9 * 16 * 32 + 32 + 1568 * 10 + 10);
    const b = createCnn(CNN_MNIST_CONFIG, 3);
    tf.tidy(() => cnnVariables(a).forEach((v, i) => expect(tf.max(tf.abs(tf.sub(v, cnnVariables(b)[i]))).dataSync()[0]).toBe(0)));
    disposeCnn(a);
    disposeCnn(b);
  });

  it("trains on wasm: the same logits, loss and gradients as tfjs's own tf.conv2d network on the cpu backend", async () => {
    const pixels = Float32Array.from({ length: 5 * 64 }, (_, i) => (Math.sin(i * 1.7) + 1) / 2);
    const labels = [0, 2, 1, 1, 0];
    const onWasm = lossAndGrads(4, pixels, labels);
    await setupBackend("cpu", { quiet: true });
    const onCpu = lossAndGrads(4, pixels, labels);
    await setupBackend("wasm", { quiet: true });
    expect(Math.abs(onWasm.loss - onCpu.loss)).toBeLessThan(1e-5);
    expect(maxRel(onWasm.logits, onCpu.logits)).toBeLessThan(1e-5);
    onWasm.grads.forEach((g, i) => expect(maxRel(g, onCpu.grads[i]), `gradient ${i}`).toBeLessThan(1e-5));
    expect(onWasm.grads.every((g) => g.some((v) => v !== 0))).toBe(true);
  });

  it("rejects images of the wrong size, and leaves no tensors behind", () => {
    const params = createCnn(config, 5);
    expect(() => cnnForward(params, tf.zeros([2, 28, 28, 1]))).toThrow(/cnnForward: images must be float32 \[B, 8, 8, 1\] for this model, got float32 \[2,28,28,1\]/);
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, "float32", 6);
    const y = tf.tensor1d([1, 2], "int32");
    const step = () => tf.tidy(() => { tf.variableGrads(() => crossEntropy(cnnForward(params, x), y), cnnVariables(params)); });
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    disposeCnn(params);
  });
});
