/**
 * The reference solutions of notebooks 02 and 03 checked against PyTorch (an independent
 * implementation): nn.MultiheadAttention, nn.LayerNorm, nn.TransformerEncoderLayer and
 * nn.TransformerDecoderLayer (norm_first=True). CI has no PyTorch: the committed
 * tests/fixtures/pytorch.json holds PyTorch's inputs and outputs (see tests/fixtures/README.md).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { decoderLayer, encoderLayer, layerNorm, type DecoderLayerParams, type EncoderLayerParams } from "../../solutions/blocks";
import { multiHeadAttention, type MultiHeadParams } from "../../solutions/multihead";
import { loadPytorchFixtures, toTensor, toTensors, type JsonTensor } from "../fixtures/pytorch";

const TOL = 1e-5;
const fx = loadPytorchFixtures();

/** Largest |got - expected| (shapes must agree). */
function maxAbsDiff(got: tf.Tensor, expected: JsonTensor): number {
  expect(got.shape).toEqual(expected.shape);
  const g = got.dataSync();
  return expected.data.reduce((m, e, i) => Math.max(m, Math.abs(g[i] - e)), 0);
}

const opt = (t: JsonTensor | undefined) => (t === undefined ? undefined : toTensor(t));

beforeAll(async () => {
  await setupBackend(undefined, { quiet: true });
});

describe("reference vs PyTorch", () => {
  it("the fixtures were made by PyTorch and hold every kind of case", () => {
    expect(fx.meta.torch).toMatch(/^\d+\.\d+/);
    expect(fx.multiHeadAttention.length).toBeGreaterThanOrEqual(4);
    expect(fx.layerNorm.length).toBeGreaterThanOrEqual(2);
    expect(fx.encoderLayer.length).toBeGreaterThanOrEqual(2);
    expect(fx.decoderLayer.length).toBeGreaterThanOrEqual(2);
  });

  it.each(fx.multiHeadAttention.map((c) => [c.name, c] as const))("multiHeadAttention: %s (output and per-head weights)", (_n, c) => {
    tf.tidy(() => {
      const r = multiHeadAttention(toTensors(c.params) as MultiHeadParams, toTensor(c.xq), toTensor(c.xkv), opt(c.mask));
      expect(maxAbsDiff(r.output, c.output)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.weights, c.weights)).toBeLessThan(TOL);
    });
  });

  it.each(fx.layerNorm.map((c) => [c.name, c] as const))("layerNorm: %s", (_n, c) => {
    tf.tidy(() => {
      expect(maxAbsDiff(layerNorm(toTensor(c.x), toTensor(c.gamma), toTensor(c.beta), c.eps), c.output)).toBeLessThan(TOL);
    });
  });

  it.each(fx.encoderLayer.map((c) => [c.name, c] as const))("encoderLayer (pre-norm): %s", (_n, c) => {
    tf.tidy(() => {
      const r = encoderLayer(toTensors(c.params) as EncoderLayerParams, toTensor(c.x), opt(c.mask));
      expect(maxAbsDiff(r.output, c.output)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.selfWeights, c.selfWeights)).toBeLessThan(TOL);
    });
  });

  it.each(fx.decoderLayer.map((c) => [c.name, c] as const))("decoderLayer (pre-norm): %s", (_n, c) => {
    tf.tidy(() => {
      const r = decoderLayer(toTensors(c.params) as DecoderLayerParams, toTensor(c.y), toTensor(c.memory), toTensor(c.selfMask), opt(c.memoryMask));
      expect(maxAbsDiff(r.output, c.output)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.selfWeights, c.selfWeights)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.crossWeights, c.crossWeights)).toBeLessThan(TOL);
    });
  });
});
