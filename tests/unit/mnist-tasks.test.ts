/**
 * Notebook 07's training support: MNIST as tensors, balanced nested subsets, shifted batches, the
 * seeded classifier training routine, the learning-rate schedule, the data-size experiment's
 * budget, the results files, and the committed checkpoints and results (they load, they match
 * their models, they say what made them).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { loadResults, saveResults } from "../../lib/support/checkpoints";
import { loadMnist, type ImageSet } from "../../lib/support/datasets";
import { cnnForward, cnnVariables, createCnn, disposeCnn } from "../../lib/support/models/cnn";
import { describeCheckpoint, EXPERIMENTS, findTask, loadTrained, TASKS } from "../../lib/support/tasks";
import { DATA_SIZE_MODELS, DATA_SIZE_STEPS, DATA_SIZES, dataSizeRecipe, epochsFor, type DataSizeResults } from "../../lib/support/tasks/data-size";
import { balancedSubset, classifierAccuracy, imageTensors, shiftedBatch, trainClassifier } from "../../lib/support/tasks/mnist";
import { CNN_RECIPE, VIT_RECIPE } from "../../lib/support/tasks/vit";
import { warmupCosine } from "../../lib/support/train";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

/** A tiny 8×8 data set: digit k has a bright pixel at (k, k) (k = 0 … 2), 10 images each. */
function tinySet(): ImageSet {
  const n = 30;
  const images = new Uint8Array(n * 64);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    images[i * 64 + (i % 3) * 9] = 255;
    images[i * 64 + ((i * 7) % 64)] += 40; // some noise
  }
  return { images, labels, count: n, height: 8, width: 8 };
}

describe("MNIST data for the classifiers", () => {
  it("imageTensors: pixels in [0, 1] as [n, 28, 28, 1], int32 labels, any subset of indices", () => {
    const { test } = loadMnist();
    tf.tidy(() => {
      const { images, labels } = imageTensors(test, [5, 0]);
      expect(images.shape).toEqual([2, 28, 28, 1]);
      expect(labels.dtype).toBe("int32");
      expect(Array.from(labels.dataSync())).toEqual([test.labels[5], test.labels[0]]);
      const px = images.dataSync();
      expect(px[300]).toBeCloseTo(test.images[784 * 5 + 300] / 255, 6);
      expect(Math.max(...Array.from(px))).toBeLessThanOrEqual(1);
    });
    expect(() => imageTensors(test, [2000])).toThrow(/imageTensors: index 2000 is outside the set of 2000 images/);
  });

  it("balancedSubset: n/10 of each digit, nested as n grows", () => {
    const { train } = loadMnist();
    const a = balancedSubset(train, 250);
    const b = balancedSubset(train, 500);
    for (let d = 0; d < 10; d++) expect(a.labels.filter((y) => y === d).length).toBe(25);
    // Per digit, the 250's images are the first of the 500's.
    for (let d = 0; d < 10; d++) {
      const pick = (s: ImageSet) => Array.from({ length: s.count }, (_, i) => i).filter((i) => s.labels[i] === d).map((i) => s.images.subarray(i * 784, (i + 1) * 784).join(","));
      expect(pick(b).slice(0, 25)).toEqual(pick(a));
    }
    expect(() => balancedSubset(train, 255)).toThrow(/balancedSubset: n = 255 must be a multiple of 10/);
  });

  it("shiftedBatch moves each digit by whole pixels (zeros move in) and is the plain batch without shifts", () => {
    const set = tinySet();
    tf.tidy(() => {
      const plain = imageTensors(set, [4, 5]);
      const same = shiftedBatch(set, [4, 5], 0, () => 0.5);
      expect(Array.from(same.images.dataSync())).toEqual(Array.from(plain.images.dataSync()));
      // rand() = 0.99 → shift +2 in y and x: the bright pixel of image 4 (label 1, at (1, 1)) moves to (3, 3).
      const moved = shiftedBatch(set, [4], 2, () => 0.99).images.reshape([8, 8]).arraySync() as number[][];
      expect(moved[3][3]).toBe(1);
      expect(moved[1][1]).toBe(0);
      // rand() = 0 → shift −2: (1, 1) falls off the top left.
      const gone = shiftedBatch(set, [4], 2, () => 0).images.reshape([8, 8]).arraySync() as number[][];
      expect(gone.flat().filter((v) => v === 1).length).toBe(0);
    });
  });

  it("warmupCosine: a linear warm-up to the peak, then a cosine decay to 0", () => {
    const lr = warmupCosine(1e-3, 10, 110);
    expect(lr(1)).toBeCloseTo(1e-4, 12);
    expect(lr(10)).toBeCloseTo(1e-3, 12);
    expect(lr(60)).toBeCloseTo(5e-4, 12);
    expect(lr(110)).toBeCloseTo(0, 12);
    expect(() => warmupCosine(1e-3, 10, 10)).toThrow(/warmupCosine: need peak > 0 and integers 0 <= warmup < total/);
  });
});

describe("trainClassifier", () => {
  it("learns, and the same call gives the same weights (seeded batches and shifts)", async () => {
    const set = tinySet();
    const config = { imageSize: 8, channels: 1, kernel: 3, conv1: 4, conv2: 4, numClasses: 3 };
    const recipe = { steps: 40, batchSize: 8, learningRate: 1e-2, warmupSteps: 4, weightDecay: 0, maxShift: 0, dataSeed: 3 };
    const run = async () => {
      const params = createCnn(config, 2);
      const model = { variables: cnnVariables(params), logits: (x: tf.Tensor) => cnnForward(params, x) };
      const r = await trainClassifier(model, set, recipe, { logEvery: 20 });
      const acc = classifierAccuracy(model, set);
      const weights = cnnVariables(params).map((v) => Array.from(v.dataSync()));
      disposeCnn(params);
      return { r, acc, weights };
    };
    const before = tf.memory().numTensors;
    const a = await run();
    const b = await run();
    expect(tf.memory().numTensors).toBe(before);
    expect(a.r.steps).toBe(40);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(a.r.losses.slice(-10))).toBeLessThan(0.75 * mean(a.r.losses.slice(0, 5)));
    expect(a.acc).toBeGreaterThan(0.9);
    expect(b.weights).toEqual(a.weights);
  });
});

describe("the data-size experiment's budget", () => {
  it("the same steps at every size and for both models; each model keeps its own recipe otherwise", () => {
    expect(dataSizeRecipe("vit").steps).toBe(DATA_SIZE_STEPS);
    expect(dataSizeRecipe("cnn").steps).toBe(DATA_SIZE_STEPS);
    expect(dataSizeRecipe("vit")).toMatchObject({ learningRate: VIT_RECIPE.learningRate, maxShift: VIT_RECIPE.maxShift, batchSize: VIT_RECIPE.batchSize });
    expect(dataSizeRecipe("cnn")).toMatchObject({ learningRate: CNN_RECIPE.learningRate, batchSize: VIT_RECIPE.batchSize });
    expect(DATA_SIZES.map(epochsFor)).toEqual([160, 80, 40, 20, 10, 5]);
  });
});

describe("results files", () => {
  it("round-trip, and a missing or foreign file names the command that rebuilds it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-results-"));
    saveResults("some-experiment", { points: [1, 2] }, { command: "npm run train -- some-experiment", seconds: 12 }, dir);
    const r = loadResults<{ points: number[] }>("some-experiment", dir);
    expect(r.results.points).toEqual([1, 2]);
    expect(r.command).toBe("npm run train -- some-experiment");
    expect(() => loadResults("other-experiment", dir)).toThrow(/results "other-experiment": .*other-experiment\.json is missing; rebuild it with: npm run train -- other-experiment/);
    fs.copyFileSync(path.join(dir, "some-experiment.json"), path.join(dir, "copied.json"));
    expect(() => loadResults("copied", dir)).toThrow(/is not a format-1 results file of "copied"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("notebook 07's committed checkpoints and results", () => {
  it.each(["vit", "mnist-cnn"])("%s: registered, loads into its model, and says what made it", (name) => {
    const task = findTask(name);
    expect(TASKS).toContain(task);
    const { model, meta } = loadTrained(task);
    expect(meta.command).toBe(`npm run train -- ${name}`);
    expect(meta.metrics["test accuracy"]).toBeGreaterThan(0.95);
    expect(describeCheckpoint(name)).toMatch(new RegExp(`trained by \`npm run train -- ${name}\`: \\d+ steps in \\d+ s; test accuracy 0\\.9\\d+`));
    model.dispose();
  });

  it("vit-data-size: every model at every size, with accuracies and CPU times", () => {
    expect(EXPERIMENTS.map((e) => e.name)).toContain("vit-data-size");
    const r = loadResults<DataSizeResults>("vit-data-size");
    expect(r.command).toBe("npm run train -- vit-data-size");
    for (const size of DATA_SIZES) {
      for (const model of DATA_SIZE_MODELS) {
        const p = r.results.points.find((q) => q.model === model && q.size === size);
        expect(p, `${model} ${size}`).toBeDefined();
        expect(p!.steps).toBe(DATA_SIZE_STEPS);
        expect(p!.accuracy).toBeGreaterThan(0.3);
        expect(p!.seconds).toBeGreaterThan(0);
      }
    }
  });
});
