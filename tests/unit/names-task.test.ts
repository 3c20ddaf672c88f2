/**
 * The `names` task (notebook 05): names as token ids and the documented handling of awkward
 * input, the batches (whole names, padded, a seeded epoch order), the scores (validation NLL per
 * character including EOS over the whole split; the count bigram), the training loss with the
 * exercise's loss, name sampling, and the committed checkpoint.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { readCheckpointMeta } from "../../lib/support/checkpoints";
import { AdamW } from "../../lib/support/fast/adam";
import { bigramLogits, bigramNll } from "../../lib/support/models/bigram";
import { gptVariables } from "../../lib/support/models/gpt";
import { findTask, loadTrained } from "../../lib/support/tasks";
import {
  decodeName, encodeName, nameBatch, NAMES_GPT_CONFIG, NAMES_RECIPE, namesBatchLoss, namesBigram, namesData, namesLearningRate, NamesModel,
  namesNll, namePrompt, namesTask, sampleNames, trainingNames, trainNames,
} from "../../lib/support/tasks/names";
import { BOS_ID, EOS_ID, PAD_ID } from "../../lib/support/tokenizers";
import { decodeStepWithCache, gptForward, nextTokenLoss, sampleNext } from "../../solutions/gpt";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

describe("names as token ids", () => {
  it("a name is [BOS, letters, EOS]; a prompt is [BOS, letters]; case and accents are folded", () => {
    expect(encodeName("emma")).toEqual([BOS_ID, 11, 19, 19, 7, EOS_ID]);
    expect(encodeName("Zoë")).toEqual(encodeName("zoe"));
    expect(decodeName(encodeName("emma"))).toBe("emma");
    expect(namePrompt("")).toEqual([BOS_ID]);
    expect(namePrompt("Ma")).toEqual([BOS_ID, 19, 7]);
  });

  it("refuses characters outside a-z, an empty name and a prefix with no room left, saying why", () => {
    expect(() => encodeName("mary-ann")).toThrow(/encodeName: name "mary-ann" has characters outside a–z \("-"\); the model knows only the 26 letters/);
    expect(() => namePrompt("jo3")).toThrow(/namePrompt: prefix "jo3" has characters outside a–z \("3"\)/);
    expect(() => encodeName("")).toThrow(/encodeName: the name is empty/);
    expect(() => namePrompt("abcdefghijklmno")).toThrow(/namePrompt: the prefix "abcdefghijklmno" has 15 letters; with BOS that leaves no room in the model's context of 16 \(at most 14 letters\)/);
    expect(namePrompt("abcdefghijklmn")).toHaveLength(15);
  });

  it("batches whole names, right-padded with PAD to the longest of the batch", () => {
    const b = nameBatch(["ann", "christopher", "al"]);
    expect(b.shape).toEqual([3, 13]);
    const rows = b.arraySync();
    expect(rows[0]).toEqual([...encodeName("ann"), ...new Array(8).fill(PAD_ID)]);
    expect(rows[1]).toEqual(encodeName("christopher"));
    b.dispose();
    const d = namesData();
    expect(Math.max(...[...d.train, ...d.val, ...d.test].map((n) => encodeName(n).length))).toBeLessThanOrEqual(NAMES_GPT_CONFIG.context - 1);
  });

  it("training batches: 32 names per step, a seeded order that visits every name once per epoch", () => {
    const { train } = namesData();
    const perEpoch = Math.ceil(train.length / 32);
    const seen = new Map<string, number>();
    for (let s = 1; s <= perEpoch; s++) {
      const names = trainingNames(train, s, 32, 1);
      expect(names).toHaveLength(32);
      names.forEach((n, i) => {
        if ((s - 1) * 32 + i < train.length) seen.set(n, (seen.get(n) ?? 0) + 1);
      });
    }
    expect(seen.size).toBe(train.length);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(trainingNames(train, 5, 32, 1)).toEqual(trainingNames(train, 5, 32, 1));
    expect(trainingNames(train, 5, 32, 2)).not.toEqual(trainingNames(train, 5, 32, 1));
    expect(trainingNames(train, perEpoch + 3, 32, 1)).not.toEqual(trainingNames(train, 3, 32, 1)); // the next epoch is reshuffled
  });
});

describe("scores", () => {
  it("validation NLL = the exercise's next-token loss over the whole split (per character, EOS included)", () => {
    const m = new NamesModel(2);
    const { val } = namesData();
    const viaExercise = tf.tidy(() => {
      const ids = nameBatch(val);
      return nextTokenLoss(gptForward(m.params, ids), ids, PAD_ID).dataSync()[0];
    });
    expect(namesNll(m.params, val)).toBeCloseTo(viaExercise, 5);
    expect(namesNll(m.params, val, gptForward, 100)).toBeCloseTo(viaExercise, 5); // chunking changes nothing
    const n = tf.memory().numTensors;
    namesNll(m.params, val.slice(0, 50));
    expect(tf.memory().numTensors).toBe(n);
    m.dispose();
  });

  it("the count bigram: rows are distributions, its logits through nextTokenLoss give its NLL, 2.433 on validation", () => {
    const data = namesData();
    const { model, valNll } = namesBigram(data);
    const v = model.vocabSize;
    for (let i = 0; i < v; i++) {
      let s = 0;
      for (let j = 0; j < v; j++) s += Math.exp(model.logProbs[i * v + j]);
      expect(s).toBeCloseTo(1, 5);
    }
    expect(valNll).toBeCloseTo(2.4333, 3);
    expect(valNll).toBeCloseTo(bigramNll(model, data.val.map(encodeName)), 10);
    const viaExercise = tf.tidy(() => {
      const ids = nameBatch(data.val);
      return nextTokenLoss(bigramLogits(model, ids), ids, PAD_ID).dataSync()[0];
    });
    expect(viaExercise).toBeCloseTo(valNll, 4);
  });
});

describe("training", () => {
  it("the batch loss with the exercise's nextTokenLoss is the task's loss, gradients included", () => {
    const m = new NamesModel(3);
    const { train } = namesData();
    const vars = gptVariables(m.params);
    const mine = (logits: tf.Tensor, ids: tf.Tensor) => nextTokenLoss(logits, ids, PAD_ID);
    tf.tidy(() => {
      const a = tf.variableGrads(() => namesBatchLoss(m.params, train, 7), vars);
      const b = tf.variableGrads(() => namesBatchLoss(m.params, train, 7, NAMES_RECIPE, mine), vars);
      expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0], 5);
      for (const v of vars) expect(tf.max(tf.abs(tf.sub(a.grads[v.name], b.grads[v.name]))).dataSync()[0], v.name).toBeLessThan(1e-5);
    });
    m.dispose();
  });

  it("trainNames (trainLoop) and a plain AdamW loop over namesBatchLoss (the benchmark's) give the same weights", async () => {
    const a = new NamesModel(4);
    const b = new NamesModel(4);
    const { train } = namesData();
    const recipe = { steps: 3 };
    await trainNames(a, { recipe, evaluateEvery: 0, log: () => {} });
    const opt = new AdamW(gptVariables(b.params), { learningRate: namesLearningRate(1), weightDecay: NAMES_RECIPE.weightDecay });
    for (let s = 1; s <= 3; s++) {
      opt.learningRate = namesLearningRate(s);
      opt.step(() => namesBatchLoss(b.params, train, s));
    }
    opt.dispose();
    const va = gptVariables(a.params);
    gptVariables(b.params).forEach((v, i) => expect(Array.from(v.dataSync()), v.name).toEqual(Array.from(va[i].dataSync())));
    a.dispose();
    b.dispose();
  });

  it("the learning rate warms up linearly, then decays by a cosine to a tenth of the peak", () => {
    const { learningRate, warmup, steps } = NAMES_RECIPE;
    expect(namesLearningRate(1)).toBeCloseTo(learningRate / warmup, 12);
    expect(namesLearningRate(warmup)).toBeCloseTo(learningRate, 12);
    expect(namesLearningRate(steps)).toBeCloseTo(learningRate / 10, 12);
    expect(namesLearningRate((warmup + steps) / 2)).toBeCloseTo(learningRate * 0.55, 12);
  });
});

describe("sampling names", () => {
  it("gives lower-case names, repeatable by seed, the same through exercise 5.3 as through the fast step", () => {
    const m = new NamesModel(5);
    const n = tf.memory().numTensors;
    const fast = sampleNames(m.params, { count: 8, sample: sampleNext, seed: 9, temperature: 1.2 });
    expect(tf.memory().numTensors).toBe(n);
    expect(fast).toHaveLength(8);
    // Untrained, it also produces special ids, shown by name.
    fast.forEach((s) => expect(s.name).toMatch(/^([a-z]|\[(PAD|UNK|CLS|SEP|MASK|BOS|EOS)\])*$/));
    expect(sampleNames(m.params, { count: 8, sample: sampleNext, seed: 9, temperature: 1.2 })).toEqual(fast);
    const plain = sampleNames(m.params, { count: 8, sample: sampleNext, seed: 9, temperature: 1.2, step: decodeStepWithCache });
    expect(plain).toEqual(fast);
    const prefixed = sampleNames(m.params, { count: 4, sample: sampleNext, seed: 3, prefix: "Ma" });
    prefixed.forEach((s) => expect(s.name.startsWith("ma")).toBe(true));
    m.dispose();
  });
});

describe("the committed checkpoint", () => {
  it("is registered, loads, and scores what it recorded (validation NLL ≤ 2.10)", () => {
    expect(findTask("names")).toBe(namesTask);
    const meta = readCheckpointMeta("names");
    expect(meta.command).toBe("npm run train -- names");
    expect(meta.steps).toBe(NAMES_RECIPE.steps);
    const { model } = loadTrained(namesTask);
    const val = namesNll(model.params, namesData().val);
    expect(val).toBeCloseTo(meta.metrics["validation NLL"], 4);
    expect(val).toBeLessThanOrEqual(2.1);
    // A trained model writes names: most samples end within the context.
    const names = sampleNames(model.params, { count: 50, sample: sampleNext, seed: 1 });
    expect(names.filter((s) => s.finished && /^[a-z]+$/.test(s.name)).length).toBeGreaterThanOrEqual(45);
    model.dispose();
  });
});
