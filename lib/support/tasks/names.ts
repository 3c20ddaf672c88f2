/**
 * The `names` task (notebook 05): a character-level GPT of English first names.
 *
 * Data: loadNames() (8,403 lower-case a–z names, split 80/10/10 by name). Each name is one
 * sequence [BOS, letters…, EOS] of the letter tokenizer (vocabulary 33: the 7 special ids, then
 * a–z); names have 2–13 letters, so a sequence has at most 15 tokens and fits the context of 16.
 *
 * Batches: 32 whole names per step, drawn in a seeded order that runs through the training set
 * epoch after epoch, right-padded with PAD to the longest name of the batch. Every sequence
 * starts at BOS, exactly as a name is generated and scored, and the padding is never a target
 * (the loss ignores PAD) and never seen by a real position (it comes after them, and the causal
 * mask hides the future). The alternative, names concatenated into one stream cut into windows
 * of 16, packs more tokens per step but starts most windows in the middle of a name and lets the
 * model condition on the names before it: training would no longer match the task we score.
 *
 * Score: negative log-likelihood in nats per character, the end token included (predicting where
 * a name stops is part of the job; BOS is given, never predicted), summed over every name of the
 * split and divided by the number of predicted tokens. The count-bigram baseline scores 2.433.
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError } from "../checks";
import { loadNames } from "../datasets";
import { crossEntropy as fastCrossEntropy } from "../fast/ops";
import { bigramNll, fitBigram, type BigramModel } from "../models/bigram";
import {
  createGpt, decodeStepFast, disposeGpt, generateCached, gptForwardFast, namedGptVariables, gptVariables,
  type DecodeStep, type FastKVCache, type GptForward, type Sampler,
} from "../models/gpt";
import { countParameters, type NamedVariable } from "../models/params";
import { shuffled } from "../random";
import { BOS_ID, EOS_ID, LETTERS, letterTokenizer, PAD_ID, UNK_ID } from "../tokenizers";
import { trainLoop, type TrainResult } from "../train";
import type { GptConfig, GptParams, KVCache } from "../types";
import type { Task, TaskModel, TaskTrainOptions } from "./task";

/** 4 layers, d = 64, 4 heads, context 16: 205,345 parameters with the 33-token vocabulary. */
export const NAMES_GPT_CONFIG: GptConfig = Object.freeze({ vocabSize: 33, context: 16, d: 64, numHeads: 4, dff: 256, numLayers: 4 });

export interface NamesRecipe {
  /** Names per step. */
  batchSize: number;
  /** AdamW's peak learning rate. */
  learningRate: number;
  weightDecay: number;
  /** Steps of the checkpoint. */
  steps: number;
  /** Linear warm-up steps, then a cosine decay to `finalFraction` of the peak at `steps`. */
  warmup: number;
  finalFraction: number;
  /** Seed of the weights and of the batch order. */
  seed: number;
}

/** The recipe of the committed checkpoint (and of `npm run bench -- names`). */
export const NAMES_RECIPE: Readonly<NamesRecipe> = Object.freeze({
  batchSize: 32, learningRate: 2e-3, weightDecay: 0.01, steps: 2000, warmup: 100, finalFraction: 0.1, seed: 1,
});

// ---------------------------------------------------------------------------------------------
// Names as token ids

const tokenizer = letterTokenizer();
const LETTER_SET = new Set(LETTERS);

/** Lower-cased, accents removed ("Zoë" → "zoe"); throws for anything else outside a–z. */
function letters(fn: string, arg: string, text: string): number[] {
  if (typeof text !== "string") throw new LabInputError(`${fn}: argument "${arg}" must be a string, got ${typeof text}`);
  const ids = tokenizer.encode(text); // lower-cased, accents dropped; anything else becomes UNK
  if (ids.includes(UNK_ID)) {
    const bad = [...new Set(Array.from(text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim()).filter((c) => !LETTER_SET.has(c)))];
    throw new LabInputError(`${fn}: ${arg} ${JSON.stringify(text)} has characters outside a–z (${bad.map((c) => JSON.stringify(c)).join(", ")}); the model knows only the 26 letters (accents are dropped: "Zoë" is read as "zoe")`);
  }
  return ids;
}

/** A name as the model reads it: [BOS, letters…, EOS]. Throws for an empty name or characters outside a–z. */
export function encodeName(name: string): number[] {
  const ids = letters("encodeName", "name", name);
  if (ids.length === 0) throw new LabInputError(`encodeName: the name is empty`);
  return [BOS_ID, ...ids, EOS_ID];
}

/**
 * The start of a name to continue: [BOS, letters…] ("" gives [BOS]: a name from scratch).
 * Throws for characters outside a–z, and for a prefix with no room left in the context.
 */
export function namePrompt(prefix: string, config: GptConfig = NAMES_GPT_CONFIG): number[] {
  const ids = letters("namePrompt", "prefix", prefix);
  if (ids.length + 1 >= config.context) {
    throw new LabInputError(`namePrompt: the prefix ${JSON.stringify(prefix)} has ${ids.length} letters; with BOS that leaves no room in the model's context of ${config.context} (at most ${config.context - 2} letters)`);
  }
  return [BOS_ID, ...ids];
}

/** The letters of a token sequence (BOS, EOS and padding dropped). */
export function decodeName(ids: readonly number[]): string {
  return tokenizer.decode(ids);
}

/** Names as one int32 batch [B, L] of [BOS, letters…, EOS], right-padded with PAD to the longest. */
export function nameBatch(names: readonly string[]): tf.Tensor2D {
  if (!Array.isArray(names) || names.length === 0) throw new LabInputError(`nameBatch: argument "names" must be a non-empty array of names`);
  const seqs = names.map(encodeName);
  const length = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * length).fill(PAD_ID);
  seqs.forEach((s, r) => ids.set(s, r * length));
  return tf.tensor2d(ids, [seqs.length, length], "int32");
}

export interface NamesData {
  train: string[];
  val: string[];
  test: string[];
}

/** The three splits (fresh arrays; loadNames caches the file). */
export function namesData(): NamesData {
  return loadNames();
}

/**
 * The training names of step `step` (1, 2, …): consecutive slices of 32 from one seeded
 * permutation of the training set per epoch, so every name is seen once per epoch and the same
 * seed gives the same batches.
 */
export function trainingNames(train: readonly string[], step: number, batchSize: number, seed: number): string[] {
  const n = train.length;
  const out: string[] = [];
  for (let i = (step - 1) * batchSize; out.length < batchSize; i++) {
    const epoch = Math.floor(i / n);
    out.push(train[epochOrder(n, seed, epoch)[i % n]]);
  }
  return out;
}

const orders = new Map<string, number[]>();
function epochOrder(n: number, seed: number, epoch: number): number[] {
  const key = `${n}:${seed}:${epoch}`;
  let order = orders.get(key);
  if (!order) {
    if (orders.size > 8) orders.clear();
    order = shuffled(Array.from({ length: n }, (_, i) => i), seed * 7919 + epoch + 1);
    orders.set(key, order);
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// Scores

/**
 * Mean NLL (nats per predicted token, EOS included) of `forward` on every name of `names`:
 * the total over all names divided by the number of predicted tokens, computed in chunks.
 */
export function namesNll(params: GptParams, names: readonly string[], forward: GptForward = gptForwardFast, chunk = 512): number {
  let total = 0;
  let count = 0;
  for (let i = 0; i < names.length; i += chunk) {
    const part = names.slice(i, i + chunk);
    const tokens = part.reduce((s, n) => s + n.length + 1, 0); // letters + EOS per name
    const mean = tf.tidy(() => {
      const ids = nameBatch(part);
      const [b, l] = ids.shape;
      const inputs = tf.slice(ids, [0, 0], [b, l - 1]);
      const targets = tf.slice(ids, [0, 1], [b, l - 1]);
      return fastCrossEntropy(forward(params, inputs), targets, PAD_ID);
    });
    total += mean.dataSync()[0] * tokens;
    mean.dispose();
    count += tokens;
  }
  return total / count;
}

/** The count-bigram baseline fitted on the training names (add-one smoothing over the 33 ids). */
export function namesBigram(data: NamesData = namesData(), smoothing = 1): { model: BigramModel; valNll: number } {
  const model = fitBigram(data.train.map(encodeName), NAMES_GPT_CONFIG.vocabSize, { smoothing });
  return { model, valNll: bigramNll(model, data.val.map(encodeName)) };
}

// ---------------------------------------------------------------------------------------------
// The model and its training

export class NamesModel implements TaskModel {
  readonly config: GptConfig;
  readonly params: GptParams;
  constructor(seed: number, config: GptConfig = NAMES_GPT_CONFIG) {
    this.config = config;
    this.params = createGpt(config, seed);
  }
  named(): NamedVariable[] {
    return namedGptVariables(this.params);
  }
  get parameterCount(): number {
    return countParameters(gptVariables(this.params));
  }
  dispose(): void {
    disposeGpt(this.params);
  }
}

/** The recipe's learning rate at step s: linear warm-up, then cosine decay. */
export function namesLearningRate(step: number, recipe: NamesRecipe = NAMES_RECIPE): number {
  const { learningRate, warmup, steps, finalFraction } = recipe;
  if (step <= warmup) return (learningRate * step) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
  return learningRate * (finalFraction + (1 - finalFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}


/**
 * The training loss of step `step` (1, 2, …) of the recipe: the batch of trainingNames, its
 * logits on the fast path, and the mean NLL of its real next tokens (PAD ignored), or `loss` of
 * the logits of the whole batch when given (e.g. your nextTokenLoss; the same value).
 */
export function namesBatchLoss(params: GptParams, train: readonly string[], step: number, recipe: Pick<NamesRecipe, "batchSize" | "seed"> = NAMES_RECIPE, loss?: (logits: tf.Tensor, ids: tf.Tensor) => tf.Scalar): tf.Scalar {
  return tf.tidy(() => {
    const ids = nameBatch(trainingNames(train, step, recipe.batchSize, recipe.seed));
    const [b, l] = ids.shape;
    if (loss) return loss(gptForwardFast(params, ids), ids);
    // The last position's prediction has no target: leave that position out instead of computing it.
    const inputs = tf.slice(ids, [0, 0], [b, l - 1]);
    return fastCrossEntropy(gptForwardFast(params, inputs), tf.slice(ids, [0, 1], [b, l - 1]), PAD_ID);
  });
}

export interface TrainNamesOptions {
  recipe?: Partial<NamesRecipe>;
  /** Stop after this many seconds (by `clock`) even before recipe.steps. */
  timeBudgetSeconds?: number;
  /** Default "cpu": this process's CPU time, which other programs on the machine do not inflate. */
  clock?: "wall" | "cpu";
  /** Measure the validation NLL every this many steps (default 100; 0 = never). */
  evaluateEvery?: number;
  /**
   * The loss of one batch from the logits of the whole padded batch ids [B, L] (default: the fast
   * path's cross-entropy of the shifted targets, PAD ignored). Pass (logits, ids) =>
   * nextTokenLoss(logits, ids, PAD_ID) to train with your exercise 5.1.
   */
  loss?: (logits: tf.Tensor, ids: tf.Tensor) => tf.Scalar;
  log?: (line: string) => void;
  /** Extra text for the live plot's caption at each evaluation, e.g. a few sampled names. */
  caption?: (step: number) => string | void;
  title?: string;
}

/** Trains `model` on the training names (fast path, AdamW); the live plot shows training and validation NLL. */
export async function trainNames(model: NamesModel, opts: TrainNamesOptions = {}): Promise<TrainResult> {
  const recipe = { ...NAMES_RECIPE, ...opts.recipe };
  const data = namesData();
  const every = opts.evaluateEvery ?? 100;
  const params = model.params;
  const loss = (step: number): tf.Scalar => namesBatchLoss(params, data.train, step, recipe, opts.loss);
  return trainLoop(gptVariables(params), loss, {
    steps: recipe.steps,
    optimizer: "adamw",
    learningRate: (s) => namesLearningRate(s, recipe),
    weightDecay: recipe.weightDecay,
    timeBudgetSeconds: opts.timeBudgetSeconds,
    clock: opts.clock ?? "cpu",
    logEvery: every > 0 ? every : 100,
    title: opts.title ?? "GPT on first names: NLL (nats per character)",
    evaluate: every > 0 ? () => ({ "validation NLL": namesNll(params, data.val) }) : undefined,
    onLog: (step, value) => {
      opts.log?.(`step ${step}: training loss ${value.toFixed(4)}`);
      return opts.caption?.(step);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Sampling names

export interface SampleNamesOptions {
  /** How many names (one batch). */
  count: number;
  /** The sampler: exercise 5.2 (yours or the reference). */
  sample: Sampler;
  /** Default: the fast path's cached step; pass decodeStepWithCache to use exercise 5.3. */
  step?: DecodeStep<KVCache> | DecodeStep<FastKVCache>;
  temperature?: number;
  topK?: number;
  seed?: number;
  /** Every name starts with these letters ("" by default). */
  prefix?: string;
}

export interface SampledName {
  /** The letters (the prefix included); a special id other than BOS/EOS shows as "[PAD]", "[UNK]", …. */
  name: string;
  /** False when the sample reached the context (16 tokens) without ending. */
  finished: boolean;
}

/** Samples `count` names from the model, letter by letter, until EOS (or the context is full). */
export function sampleNames(params: GptParams, opts: SampleNamesOptions): SampledName[] {
  const prompt = namePrompt(opts.prefix ?? "", params.config);
  const step = (opts.step ?? decodeStepFast) as DecodeStep<unknown>;
  const g = generateCached(step, params, Array.from({ length: opts.count }, () => prompt), {
    sample: opts.sample, temperature: opts.temperature, topK: opts.topK, seed: opts.seed, stopId: EOS_ID,
  });
  // BOS and the final EOS are dropped; any other special id the model produced is shown by name
  // ("[PAD]"): an untrained model does produce them, a trained one almost never.
  return g.sequences.map((s, i) => ({ name: tokenizer.decode(s.slice(1, g.finished[i] ? -1 : undefined), { keepSpecials: true }), finished: g.finished[i] }));
}

// ---------------------------------------------------------------------------------------------
// The task

export const namesTask: Task<NamesModel> = {
  name: "names",
  description: "notebook 05: 4-layer GPT (d=64, 205k parameters) on first names, 2000 AdamW steps",
  seed: NAMES_RECIPE.seed,
  create: (seed = NAMES_RECIPE.seed) => new NamesModel(seed),
  async train(model: NamesModel, opts: TaskTrainOptions = {}) {
    const r = await trainNames(model, { evaluateEvery: 500, log: opts.log });
    return { steps: r.steps, seconds: r.seconds };
  },
  evaluate(model: NamesModel) {
    const data = namesData();
    return {
      "validation NLL": namesNll(model.params, data.val),
      "training NLL": namesNll(model.params, data.train),
    };
  },
};
