/**
 * Training image classifiers on the MNIST digits of datasets/mnist (notebook 07): the data as
 * tensors, seeded mini-batches with small random shifts, one training routine and one accuracy
 * measurement, shared by the ViT task, the CNN task and the data-size experiment, so that every
 * model is trained and scored the same way.
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError } from "../checks";
import { batchIndices, type ImageSet } from "../datasets";
import { crossEntropy } from "../fast/ops";
import { seededRandom } from "../random";
import { trainLoop, warmupCosine, type TrainResult } from "../train";

/** Images [n, H, W, 1] with pixels in [0, 1] (float32) and labels [n] (int32) of `indices` (default: all). */
export function imageTensors(set: ImageSet, indices?: readonly number[]): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  const idx = indices ?? Array.from({ length: set.count }, (_, i) => i);
  const size = set.height * set.width;
  const pixels = new Float32Array(idx.length * size);
  const labels = new Int32Array(idx.length);
  idx.forEach((j, i) => {
    if (!Number.isInteger(j) || j < 0 || j >= set.count) throw new LabInputError(`imageTensors: index ${j} is outside the set of ${set.count} images`);
    for (let q = 0; q < size; q++) pixels[i * size + q] = set.images[j * size + q] / 255;
    labels[i] = set.labels[j];
  });
  return { images: tf.tensor4d(pixels, [idx.length, set.height, set.width, 1]), labels: tf.tensor1d(labels, "int32") };
}

/**
 * The first n/10 images of each digit, in the set's (shuffled) order: a balanced subset, and the
 * subsets for growing n are nested (the 500 include the 250). n must be a multiple of 10.
 */
export function balancedSubset(set: ImageSet, n: number): ImageSet {
  const perClass = n / 10;
  if (!Number.isInteger(perClass) || n < 10 || n > set.count) throw new LabInputError(`balancedSubset: n = ${n} must be a multiple of 10 between 10 and ${set.count}`);
  const taken = new Array(10).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < set.count && keep.length < n; i++) {
    const y = set.labels[i];
    if (taken[y] < perClass) {
      taken[y]++;
      keep.push(i);
    }
  }
  if (keep.length < n) throw new LabInputError(`balancedSubset: the set has fewer than ${perClass} images of some digit`);
  const size = set.height * set.width;
  const images = new Uint8Array(n * size);
  keep.forEach((j, i) => images.set(set.images.subarray(j * size, (j + 1) * size), i * size));
  return { images, labels: Uint8Array.from(keep, (j) => set.labels[j]), count: n, height: set.height, width: set.width };
}

/**
 * A training batch: images `indices` of `set`, each moved by a random whole-pixel shift of at
 * most `maxShift` in x and y (what moves out falls off, zeros move in), drawn from `rand`.
 */
export function shiftedBatch(set: ImageSet, indices: readonly number[], maxShift: number, rand: () => number): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  const { height: h, width: w } = set;
  const size = h * w;
  const pixels = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  indices.forEach((j, i) => {
    const dy = Math.floor(rand() * (2 * maxShift + 1)) - maxShift;
    const dx = Math.floor(rand() * (2 * maxShift + 1)) - maxShift;
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        if (sx >= 0 && sx < w) pixels[i * size + y * w + x] = set.images[j * size + sy * w + sx] / 255;
      }
    }
    labels[i] = set.labels[j];
  });
  return { images: tf.tensor4d(pixels, [indices.length, h, w, 1]), labels: tf.tensor1d(labels, "int32") };
}

/** How a classifier is trained: AdamW, linear warm-up then cosine decay to 0, shifted digits. */
export interface ClassifierRecipe {
  /** Optimizer steps (a fixed number, so the same machine gives the same weights). */
  steps: number;
  batchSize: number;
  /** Peak learning rate, reached after warmupSteps. */
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  /** Largest random shift of a training digit, in pixels (0: none). */
  maxShift: number;
  /** Seed of the batch order and the shifts. */
  dataSeed: number;
}

/** A model to train: its variables, and logits [B, classes] for images [B, H, W, 1]. */
export interface ImageClassifier {
  variables: tf.Variable[];
  logits(images: tf.Tensor): tf.Tensor;
}

export interface TrainClassifierOptions {
  /** Test accuracy at log steps (and a curve on the live plot), measured on this set. */
  evalSet?: ImageSet;
  logEvery?: number;
  /** Stop after this much training time (by `clock`), even before recipe.steps. */
  timeBudgetSeconds?: number;
  clock?: "wall" | "cpu";
  title?: string;
}

/**
 * Trains `model` on `set` with `recipe` (seeded batches and shifts; the same call gives the
 * same weights), with trainLoop's live loss curve in a notebook (progress lines elsewhere).
 */
export async function trainClassifier(model: ImageClassifier, set: ImageSet, recipe: ClassifierRecipe, opts: TrainClassifierOptions = {}): Promise<TrainResult> {
  const rand = seededRandom(recipe.dataSeed);
  let epoch = 0;
  let order: number[][] = [];
  const nextBatch = (): number[] => {
    while (order.length === 0) order = batchIndices(set.count, recipe.batchSize, recipe.dataSeed + ++epoch).filter((b) => b.length === recipe.batchSize || set.count < recipe.batchSize);
    return order.shift()!;
  };
  const evalSet = opts.evalSet;
  return trainLoop(model.variables, () => {
    const { images, labels } = shiftedBatch(set, nextBatch(), recipe.maxShift, rand);
    return crossEntropy(model.logits(images), labels);
  }, {
    steps: recipe.steps,
    optimizer: "adamw",
    learningRate: warmupCosine(recipe.learningRate, recipe.warmupSteps, recipe.steps),
    weightDecay: recipe.weightDecay,
    logEvery: opts.logEvery ?? 100,
    timeBudgetSeconds: opts.timeBudgetSeconds,
    clock: opts.clock,
    title: opts.title,
    evaluate: evalSet ? () => ({ "test accuracy": classifierAccuracy(model, evalSet) }) : undefined,
  });
}

/** Fraction of `set` the model classifies correctly (batches of 500, no gradients kept). */
export function classifierAccuracy(model: Pick<ImageClassifier, "logits">, set: ImageSet, batchSize = 500): number {
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
    correct += tf.tidy(() => {
      const { images, labels } = imageTensors(set, idx);
      return tf.sum(tf.cast(tf.equal(tf.argMax(model.logits(images), -1), labels), "int32")).dataSync()[0];
    });
  }
  return correct / set.count;
}
