/** Training helpers: embeddings that train on wasm, losses, and a deterministic training loop. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { accuracy, crossEntropy, embed, glorot, trainLoop, zerosVar } from "../../lib/support/train";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

describe("train helpers", () => {
  it("embed equals tf.gather and has a gradient on wasm", () => {
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor2d([[2, 0], [1, 1]], undefined, "int32");
    expect(embed(table, ids).arraySync()).toEqual(tf.gather(table, ids).arraySync());
    const g = tf.grad((t: tf.Tensor) => tf.sum(embed(t, ids)))(table);
    expect(g.arraySync()).toEqual([[1, 1], [2, 2], [1, 1]]);
    expect(() => embed(table, tf.tensor1d([1.5]))).toThrow("embed: ids must be int32, got float32");
  });

  it("crossEntropy and accuracy skip ignored positions", () => {
    const logits = tf.tensor3d([[[2, 0, 0], [0, 3, 0], [0, 0, 1]]]); // [1, 3, 3]
    const targets = tf.tensor2d([[0, 2, 1]], undefined, "int32");
    const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    const nll = [lse([2, 0, 0]) - 2, lse([0, 3, 0]) - 0, lse([0, 0, 1]) - 0];
    expect(crossEntropy(logits, targets).dataSync()[0]).toBeCloseTo((nll[0] + nll[1] + nll[2]) / 3, 5);
    expect(crossEntropy(logits, targets, 2).dataSync()[0]).toBeCloseTo((nll[0] + nll[2]) / 2, 5);
    expect(accuracy(logits, targets)).toBeCloseTo(1 / 3, 6);
    expect(accuracy(logits, targets, 2)).toBeCloseTo(1 / 2, 6);
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2], "int32"))).toThrow("crossEntropy: targets [3] (int32) must be int32 with the shape of logits [1,3,3] minus its last axis");
  });

  it("trainLoop learns a lookup table, deterministically, without leaking", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const run = async () => {
      const table = glorot([6, 8], 5);
      const w = glorot([8, 6], 6);
      const b = zerosVar([6]);
      const ids = tf.tensor2d([[0, 1, 2, 3, 4, 5]], undefined, "int32");
      const before = tf.memory().numTensors;
      const result = await trainLoop([table, w, b], () => crossEntropy(tf.add(tf.matMul(tf.reshape(embed(table, ids), [6, 8]), w), b).reshape([1, 6, 6]), ids), { steps: 60, learningRate: 0.05, logEvery: 20 });
      expect(tf.memory().numTensors).toBe(before);
      const acc = accuracy(tf.add(tf.matMul(tf.reshape(embed(table, ids), [6, 8]), w), b), ids.reshape([6]));
      tf.dispose([table, w, b, ids]);
      return { result, acc };
    };
    const a = await run();
    const b = await run();
    expect(a.result.losses[59]).toBeLessThan(a.result.losses[0] / 10);
    expect(a.acc).toBe(1);
    expect(b.result.losses).toEqual(a.result.losses);
  });

  it("trainLoop with the fast AdamW, a schedule, evaluation curves and a time budget", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const run = async (opts: Partial<Parameters<typeof trainLoop>[2]>) => {
      const table = glorot([6, 8], 5);
      const w = glorot([8, 6], 6);
      const ids = tf.tensor2d([[0, 1, 2, 3, 4, 5]], undefined, "int32");
      const logits = () => tf.matMul(tf.reshape(embed(table, ids), [6, 8]), w).reshape([1, 6, 6]);
      const before = tf.memory().numTensors;
      const seen: number[] = [];
      const result = await trainLoop([table, w], () => crossEntropy(logits(), ids), {
        steps: 60, optimizer: "adamw", learningRate: (s) => { seen.push(s); return 0.05; }, logEvery: 20,
        evaluate: () => ({ "held-out loss": tf.tidy(() => crossEntropy(logits(), ids).dataSync()[0]) }),
        ...opts,
      });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([table, w, ids]);
      return { result, seen };
    };
    const { result, seen } = await run({});
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(result.history.map((h) => h.step)).toEqual([20, 40, 60]);
    expect(result.history[2].metrics["held-out loss"]).toBeLessThan(result.history[0].metrics["held-out loss"]);
    expect(result.losses[59]).toBeLessThan(result.losses[0] / 10);
    const again = await run({});
    expect(again.result.losses).toEqual(result.losses);
    // A zero time budget stops after the first step, and the last point is logged.
    const short = await run({ timeBudgetSeconds: 0 });
    expect(short.result.steps).toBe(1);
    expect(short.result.history.map((h) => h.step)).toEqual([1]);
  });
});
