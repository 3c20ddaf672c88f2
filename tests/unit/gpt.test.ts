/**
 * Notebook 05's model home and reference exercises: the GPT decoded one token at a time with a
 * key/value cache (the reference exercise 5.3 and the fast path's decodeStepFast) gives the
 * logits of the full forward pass at every position; the caches hold the real keys and values;
 * generation with and without a cache agrees; sampling is exact, seeded and has the intended
 * statistics; the next-token loss shifts, masks padding and averages over tokens; nothing leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { fastPathCalls, crossEntropy as fastCrossEntropy } from "../../lib/support/fast/ops";
import {
  cacheLength, createGpt, decodeStepFast, disposeGpt, type FastKVCache, generateCached, generateUncached, type GptConfig,
  gptAttentionFrom, gptForwardFast, type GptParams,
} from "../../lib/support/models/gpt";
import { variablesOf } from "../../lib/support/models/params";
import { seededRandom } from "../../lib/support/random";
import { causalMask } from "../../solutions/attention";
import { encoderLayer, layerNorm } from "../../solutions/blocks";
import { decodeStepWithCache, gptForward, type KVCache, nextTokenLoss, sampleNext } from "../../solutions/gpt";
import { splitHeads } from "../../solutions/multihead";
import * as stubs from "../../lib/gpt";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

const CONFIG: GptConfig = { vocabSize: 11, context: 8, d: 16, numHeads: 4, dff: 24, numLayers: 2 };

/** Fresh weights with every bias and layer-norm parameter moved off 0 and 1, so a dropped one shows. */
function model(seed = 3): GptParams {
  const p = createGpt(CONFIG, seed);
  variablesOf(p).forEach((v, i) => {
    if (v.rank === 1) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", 500 + i))));
  });
  // Larger embeddings than the 0.02 initialisation, so positions and tokens matter.
  (p.tokenEmbedding as tf.Variable).assign(tf.tidy(() => tf.mul(p.tokenEmbedding, 40)));
  (p.positionEmbedding as tf.Variable).assign(tf.tidy(() => tf.mul(p.positionEmbedding, 40)));
  return p;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

const SEQS = [
  [5, 7, 8, 9, 10, 7, 6, 0],
  [5, 10, 9, 8, 7, 6, 0, 0],
  [5, 8, 8, 8, 9, 9, 10, 6],
];

/** Runs `step` over every column of SEQS; returns the logits of every position [B, T, V] and the final cache. */
function decodeAll<C>(step: (p: GptParams, t: readonly number[], c: C | null) => { logits: tf.Tensor; cache: C }, p: GptParams, dispose: (c: C) => void) {
  let cache: C | null = null;
  const logits: tf.Tensor[] = [];
  for (let t = 0; t < SEQS[0].length; t++) {
    const out = step(p, SEQS.map((s) => s[t]), cache);
    if (cache !== null) dispose(cache);
    cache = out.cache;
    logits.push(out.logits);
  }
  const all = tf.stack(logits, 1);
  tf.dispose(logits);
  return { logits: all, cache: cache as C };
}

const disposeCache = (c: unknown) => tf.dispose((c as KVCache).layers.flatMap((l) => [l.k, l.v]));
const disposeFast = (c: unknown) => tf.dispose((c as FastKVCache).layers);

describe("decoding with a key/value cache equals the full forward pass", () => {
  it("reference 5.3 and the fast step: the logits of every position, to 1e-5", () => {
    const p = model();
    const ids = tf.tensor2d(SEQS, undefined, "int32");
    const full = gptForward(p, ids);
    expect(maxAbsDiff(gptForwardFast(p, ids), full)).toBeLessThan(1e-5);
    const plain = decodeAll(decodeStepWithCache, p, disposeCache);
    const fast = decodeAll(decodeStepFast, p, disposeFast);
    // Position by position, so a failure says where.
    for (let t = 0; t < SEQS[0].length; t++) {
      tf.tidy(() => {
        const row = (x: tf.Tensor) => tf.slice(x, [0, t, 0], [SEQS.length, 1, CONFIG.vocabSize]);
        expect(maxAbsDiff(row(plain.logits), row(full)), `plain, position ${t}`).toBeLessThan(1e-5);
        expect(maxAbsDiff(row(fast.logits), row(full)), `fast, position ${t}`).toBeLessThan(1e-5);
      });
    }
    expect(tf.tidy(() => tf.max(tf.abs(full)).dataSync()[0])).toBeGreaterThan(0.5); // not trivially equal
    tf.dispose([ids, full, plain.logits, fast.logits]);
    disposeCache(plain.cache);
    disposeFast(fast.cache);
    disposeGpt(p);
  });

  it("the caches hold each layer's keys and values of every position ([B, h, t, dh]; fast: [B, t, 2d])", () => {
    const p = model(4);
    const ids = tf.tensor2d(SEQS, undefined, "int32");
    const plain = decodeAll(decodeStepWithCache, p, disposeCache);
    const fast = decodeAll(decodeStepFast, p, disposeFast);
    const t = SEQS[0].length;
    expect(cacheLength(plain.cache)).toBe(t);
    expect(cacheLength(fast.cache)).toBe(t);
    tf.tidy(() => {
      // The layer inputs of the full pass, then k and v from them as multiHeadAttention computes them.
      let x = tf.add(tf.gather(p.tokenEmbedding, ids), tf.slice(p.positionEmbedding, [0, 0], [t, CONFIG.d]));
      p.layers.forEach((layer, i) => {
        const n1 = layerNorm(x, layer.norm1.gamma, layer.norm1.beta);
        const proj = (w: tf.Tensor, b?: tf.Tensor) => tf.add(tf.reshape(tf.matMul(tf.reshape(n1, [-1, CONFIG.d]), w), [SEQS.length, t, CONFIG.d]), b ?? 0);
        const k = proj(layer.selfAttn.wk, layer.selfAttn.bk);
        const v = proj(layer.selfAttn.wv, layer.selfAttn.bv);
        expect(plain.cache.layers[i].k.shape).toEqual([SEQS.length, CONFIG.numHeads, t, CONFIG.d / CONFIG.numHeads]);
        expect(maxAbsDiff(plain.cache.layers[i].k, splitHeads(k, CONFIG.numHeads)), `layer ${i} keys`).toBeLessThan(1e-5);
        expect(maxAbsDiff(plain.cache.layers[i].v, splitHeads(v, CONFIG.numHeads)), `layer ${i} values`).toBeLessThan(1e-5);
        expect(maxAbsDiff(fast.cache.layers[i], tf.concat([k, v], 2)), `layer ${i} fast k|v`).toBeLessThan(1e-5);
        x = encoderLayer(layer, x, causalMask(t)).output;
      });
    });
    tf.dispose([ids, plain.logits, fast.logits]);
    disposeCache(plain.cache);
    disposeFast(fast.cache);
    disposeGpt(p);
  });

  it("leaves the input cache as it was, returns new tensors, gives the same result twice and inside a caller's tidy", () => {
    const p = model(5);
    const first = decodeStepWithCache(p, [5, 5], null);
    const before = first.cache.layers.map((l) => [l.k.dataSync().slice(), l.v.dataSync().slice()]);
    const a = decodeStepWithCache(p, [7, 8], first.cache);
    const b = tf.tidy(() => {
      const r = decodeStepWithCache(p, [7, 8], first.cache);
      return { logits: r.logits, k: r.cache.layers[1].k } as unknown as tf.TensorContainer;
    }) as unknown as { logits: tf.Tensor; k: tf.Tensor };
    first.cache.layers.forEach((l, i) => {
      expect(l.k.isDisposed || l.v.isDisposed).toBe(false);
      expect(Array.from(l.k.dataSync())).toEqual(Array.from(before[i][0]));
      expect(Array.from(l.v.dataSync())).toEqual(Array.from(before[i][1]));
      expect(a.cache.layers[i].k).not.toBe(l.k);
    });
    expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
    expect(maxAbsDiff(a.cache.layers[1].k, b.k)).toBe(0);
    expect(a.cache.layers[0].k.shape[2]).toBe(2);
    tf.dispose([first.logits, a.logits, b.logits, b.k]);
    disposeCache(first.cache);
    disposeCache(a.cache);
    disposeGpt(p);
  });

  it("leaks nothing (plain and fast steps, second call)", () => {
    const p = model(6);
    for (const [step, dispose] of [[decodeStepWithCache, disposeCache], [decodeStepFast, disposeFast]] as const) {
      const run = () => {
        const one = (step as typeof decodeStepFast)(p, [5, 6, 7], null);
        const two = (step as typeof decodeStepFast)(p, [8, 9, 10], one.cache as FastKVCache);
        tf.dispose([one.logits, two.logits]);
        dispose(one.cache);
        dispose(two.cache);
      };
      run();
      const n = tf.memory().numTensors;
      run();
      expect(tf.memory().numTensors).toBe(n);
    }
    disposeGpt(p);
  });

  it("rejects a full context, tokens outside the vocabulary, and caches that do not fit", () => {
    const p = model(7);
    const { logits, cache } = decodeAll(decodeStepWithCache, p, disposeCache); // fills all 8 positions
    expect(() => decodeStepWithCache(p, [5, 5, 5], cache)).toThrow(/decodeStepWithCache: the cache already holds 8 positions, the model's whole context \(8\)/);
    const fastFull = decodeAll(decodeStepFast, p, disposeFast);
    expect(() => decodeStepFast(p, [5, 5, 5], fastFull.cache)).toThrow(/decodeStepFast: the cache already holds 8 positions/);
    expect(() => decodeStepWithCache(p, [5, 11], null)).toThrow(/decodeStepWithCache: token\[1\] = 11 is not a token id \(the vocabulary has ids 0 to 10\)/);
    expect(() => decodeStepWithCache(p, [], null)).toThrow(/decodeStepWithCache: argument "token" must be a non-empty array/);
    const one = decodeStepWithCache(p, [5, 5], null);
    expect(() => decodeStepWithCache(p, [5, 5, 5], one.cache)).toThrow(/decodeStepWithCache: the cache holds 2 sequences but "token" has 3 ids/);
    expect(() => decodeStepWithCache(p, [5, 5], { layers: one.cache.layers.slice(0, 1) })).toThrow(/one entry per layer \(2\)/);
    tf.dispose([logits, fastFull.logits, one.logits]);
    disposeCache(cache);
    disposeFast(fastFull.cache);
    disposeCache(one.cache);
    disposeGpt(p);
  });
});

describe("generation", () => {
  it("with and without the cache, plain and fast: the same samples, and the kept logits equal the full pass", () => {
    const p = model(8);
    const prompts = [[5, 7], [5, 9], [5, 7]];
    const opts = { sample: sampleNext, temperature: 1.5, topK: 6, seed: 42, stopId: 6 };
    const n = tf.memory().numTensors;
    const plain = generateCached(decodeStepWithCache, p, prompts, { ...opts, keepLogits: true });
    const fast = generateCached(decodeStepFast, p, prompts, opts);
    const uncached = generateUncached(gptForward, p, prompts, opts);
    const uncachedFast = generateUncached(gptForwardFast, p, prompts, opts);
    expect(tf.memory().numTensors).toBe(n + 1); // only the kept logits
    expect(fast.sequences).toEqual(plain.sequences);
    expect(uncached.sequences).toEqual(plain.sequences);
    expect(uncachedFast.sequences).toEqual(plain.sequences);
    expect(uncached.finished).toEqual(plain.finished);
    plain.sequences.forEach((s, i) => {
      expect(s.slice(0, 2)).toEqual(prompts[i]);
      expect(s.length).toBeLessThanOrEqual(CONFIG.context);
      if (plain.finished[i]) expect(s[s.length - 1]).toBe(6);
      else expect(s.length).toBe(CONFIG.context);
      expect(s.slice(0, -1)).not.toContain(6);
    });
    const full = gptForward(p, tf.tensor2d(plain.fed, undefined, "int32"));
    expect(maxAbsDiff(plain.logits!, full)).toBeLessThan(1e-5);
    tf.dispose([plain.logits!, full]);
    disposeGpt(p);
  });

  it("one seed fixes a whole generation; another seed gives other samples; temperature 0 needs none", () => {
    const p = model(9);
    const prompts = Array.from({ length: 6 }, () => [5]);
    const gen = (seed?: number, temperature = 1) => generateCached(decodeStepFast, p, prompts, { sample: sampleNext, seed, temperature }).sequences;
    expect(gen(3)).toEqual(gen(3));
    expect(gen(4)).not.toEqual(gen(3));
    const greedy = gen(undefined, 0);
    expect(greedy.every((s) => JSON.stringify(s) === JSON.stringify(greedy[0]))).toBe(true);
    expect(() => gen(undefined, 1)).toThrow(/sampleNext: option "seed" must be a non-zero integer when temperature > 0/);
    disposeGpt(p);
  });

  it("refuses prompts that leave no room, empty or ragged prompts, and ids outside the vocabulary", () => {
    const p = model(10);
    const opts = { sample: sampleNext, seed: 1 };
    expect(() => generateCached(decodeStepFast, p, [[5, 7, 7, 7, 7, 7, 7, 7]], opts)).toThrow(/prompts of 8 tokens leave no room to generate: the limit is 8 tokens/);
    expect(() => generateUncached(gptForward, p, [[5, 7, 7, 7, 7, 7, 7, 7, 7]], opts)).toThrow(/generateUncached: prompts of 9 tokens leave no room/);
    expect(() => generateCached(decodeStepFast, p, [[]], opts)).toThrow(/prompts\[0\] must hold at least one token id/);
    expect(() => generateCached(decodeStepFast, p, [], opts)).toThrow(/"prompts" must be a non-empty array/);
    expect(() => generateCached(decodeStepFast, p, [[5], [5, 7]], opts)).toThrow(/every prompt in one call must have the same length/);
    expect(() => generateCached(decodeStepFast, p, [[5, 12]], opts)).toThrow(/prompts\[0\]\[1\] = 12 is not a token id/);
    expect(() => generateCached(decodeStepFast, p, [[5]], { ...opts, maxLength: 9 })).toThrow(/"maxLength" must be an integer in \[2, 8\]/);
    const short = generateCached(decodeStepFast, p, [[5], [5]], { ...opts, maxLength: 3 });
    expect(short.sequences.every((s) => s.length <= 3)).toBe(true);
    disposeGpt(p);
  });
});

describe("gptForward (reference 5.4)", () => {
  it("equals the fast path, and rejects what it cannot read, naming itself", () => {
    const p = model(11);
    const ids = tf.tensor2d(SEQS, undefined, "int32");
    expect(maxAbsDiff(gptForward(p, ids), gptForwardFast(p, ids))).toBeLessThan(1e-5);
    const long = tf.zeros([1, 9], "int32");
    expect(() => gptForward(p, long)).toThrow(/gptForward: ids \[1,9\] are longer than the model's context of 8 positions/);
    const bad = tf.tensor2d([[5, 11]], undefined, "int32");
    expect(() => gptForward(p, bad)).toThrow(/gptForward: ids\[0\]\[1\] = 11 is not a token id/);
    // The attention weights of every layer: causal (nothing above the diagonal), rows sum to 1.
    const weights = gptAttentionFrom({ encoderLayer, causalMask }, p, ids);
    expect(weights).toHaveLength(CONFIG.numLayers);
    tf.tidy(() => weights.forEach((w) => {
      expect(w.shape).toEqual([SEQS.length, CONFIG.numHeads, 8, 8]);
      expect(tf.sum(tf.mul(w, tf.sub(1, causalMask(8)))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(tf.sum(w, -1), 1))).dataSync()[0]).toBeLessThan(1e-5);
    }));
    tf.dispose(weights);
    const floats = tf.zeros([1, 3]);
    expect(() => gptForward(p, floats)).toThrow(/gptForward: argument "ids" must be an int32 tensor \[B, T\], got float32 \[1,3\]/);
    // A bad layer is named, through the building block that found it.
    const badGamma = tf.ones([CONFIG.d + 1]);
    const broken = { ...p, layers: [p.layers[0], { ...p.layers[1], norm1: { ...p.layers[1].norm1, gamma: badGamma } }] };
    expect(() => gptForward(broken, ids)).toThrow(/^gptForward \(params.layers\[1\]\): encoderLayer \(params.norm1\): layerNorm: gamma \[17\] must be \[d\] = \[16\]/);
    expect(() => decodeStepWithCache(broken, [5], null)).toThrow(/^decodeStepWithCache \(params.layers\[1\]\): layerNorm: gamma \[17\]/);
    badGamma.dispose();
    const n = tf.memory().numTensors;
    tf.dispose(gptForward(p, ids));
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([ids, long, bad, floats]);
    disposeGpt(p);
  });

  // The grader tells a forward pass built from the exercise functions from one that hands the work to the fast path.
  it("runs no fast-path op (the reference exercises), while the fast path counts each of its ops", () => {
    const p = model(12);
    const ids = tf.tensor2d(SEQS, undefined, "int32");
    const before = fastPathCalls();
    tf.dispose(gptForward(p, ids));
    const step = decodeStepWithCache(p, [5, 5, 5], null);
    disposeCache(step.cache);
    tf.dispose([step.logits, nextTokenLoss(gptForward(p, ids), ids, 0)]);
    const flat = tf.zeros([2, 4]);
    sampleNext(flat, { seed: 3 });
    flat.dispose();
    expect(fastPathCalls()).toBe(before);
    tf.dispose(gptForwardFast(p, ids));
    expect(fastPathCalls()).toBeGreaterThan(before + CONFIG.numLayers);
    const mid = fastPathCalls();
    const fastStep = decodeStepFast(p, [5, 5, 5], null);
    disposeFast(fastStep.cache);
    fastStep.logits.dispose();
    expect(fastPathCalls()).toBeGreaterThan(mid);
    ids.dispose();
    disposeGpt(p);
  });
});

describe("sampleNext (reference 5.2)", () => {
  const probs = [0.1, 0.2, 0.3, 0.4];
  const logits = () => tf.tensor2d([probs.map(Math.log)]);

  it("inverse-CDF sampling: row b takes the (b+1)-th number of seededRandom(seed)", () => {
    const rows = tf.tensor2d(Array.from({ length: 50 }, () => probs.map(Math.log)));
    for (const seed of [1, 2, 99]) {
      const rng = seededRandom(seed);
      const expected = Array.from({ length: 50 }, () => {
        const u = rng();
        let c = 0;
        return probs.findIndex((q) => (c += q) > u);
      });
      expect(sampleNext(rows, { seed })).toEqual(expected);
    }
    const one = tf.tensor1d(probs.map(Math.log));
    expect(sampleNext(one, { seed: 5 })).toEqual(sampleNext(logits(), { seed: 5 }));
    expect(sampleNext(one, { seed: 5 })).toHaveLength(1);
    tf.dispose([rows, one]);
  });

  it("the same seed gives the same tokens; temperature 0 is the arg-max, lowest id among ties", () => {
    const x = tf.tensor2d([[0.5, 2, 2, -1], [3, 0, 0, 3]]);
    expect(sampleNext(x, { seed: 7 })).toEqual(sampleNext(x, { seed: 7 }));
    expect(sampleNext(x, { temperature: 0 })).toEqual([1, 0]);
    expect(sampleNext(x, { temperature: 0, topK: 1, seed: 3 })).toEqual([1, 0]);
    tf.dispose(x);
  });

  it("has the intended statistics: softmax(logits / T) restricted to the top k, renormalised", () => {
    const raw = [1.0, 2.5, 0.3, 2.5, -0.7, 1.9];
    const n = 40000;
    const rows = tf.tensor2d(Array.from({ length: n }, () => raw));
    for (const { temperature, topK } of [{ temperature: 1, topK: 6 }, { temperature: 0.6, topK: 3 }, { temperature: 2.5, topK: 4 }, { temperature: 1, topK: 1 }]) {
      const kept = raw.map((_, i) => i).sort((a, b) => raw[b] - raw[a] || a - b).slice(0, topK);
      const w = raw.map((z, i) => (kept.includes(i) ? Math.exp(z / temperature) : 0));
      const total = w.reduce((a, b) => a + b, 0);
      const p = w.map((x) => x / total);
      const counts = new Array(raw.length).fill(0);
      for (const id of sampleNext(rows, { temperature, topK, seed: 11 })) counts[id]++;
      counts.forEach((c, i) => {
        const sd = Math.sqrt(n * p[i] * (1 - p[i]));
        expect(Math.abs(c - n * p[i]), `T=${temperature} k=${topK} token ${i}: ${c} of ${n}, expected ${(n * p[i]).toFixed(0)}`).toBeLessThanOrEqual(4.5 * sd + 1e-9);
      });
      // Exactly k tokens can come out (the tie between ids 1 and 3 at the top is kept whole for k >= 2, id 1 wins for k = 1).
      expect(counts.filter((c) => c > 0).length).toBe(topK);
      // The test has the power to tell the temperature apart: T applied after the softmax would be off by far more.
      if (temperature !== 1) {
        const wrong = raw.map((z, i) => (kept.includes(i) ? Math.exp(z) : 0));
        const s = wrong.reduce((a, b) => a + b, 0);
        expect(counts.some((c, i) => Math.abs(c - (n * wrong[i]) / s) > 6 * Math.sqrt(n * p[i] * (1 - p[i]) + 1))).toBe(true);
      }
    }
    tf.dispose(rows);
  });

  it("-Infinity logits are never chosen; bad options and values are rejected with the argument named", () => {
    const x = tf.tensor2d([[-Infinity, 0, -Infinity, 1]]);
    for (let seed = 1; seed < 40; seed++) expect([1, 3]).toContain(sampleNext(x, { seed })[0]);
    const l = logits();
    expect(() => sampleNext(l, { temperature: -0.1, seed: 1 })).toThrow(/sampleNext: option "temperature" must be a finite number >= 0 \(0 = greedy\), got -0.1/);
    expect(() => sampleNext(l, { temperature: NaN, seed: 1 })).toThrow(/"temperature"/);
    expect(() => sampleNext(l, { topK: 0, seed: 1 })).toThrow(/sampleNext: argument "topK" must be an integer in \[1, 4\], got number 0/);
    expect(() => sampleNext(l, { topK: 5, seed: 1 })).toThrow(/"topK" must be an integer in \[1, 4\]/);
    expect(() => sampleNext(l, { topK: 1.5, seed: 1 })).toThrow(/"topK"/);
    expect(() => sampleNext(l, {})).toThrow(/"seed" must be a non-zero integer when temperature > 0/);
    expect(() => sampleNext(l, { seed: 0 })).toThrow(/"seed"/);
    const nan = tf.tensor2d([[0, NaN]]);
    expect(() => sampleNext(nan, { seed: 1 })).toThrow(/sampleNext: logits\[0\]\[1\] is NaN/);
    const dead = tf.tensor2d([[0, 1], [-Infinity, -Infinity]]);
    expect(() => sampleNext(dead, { seed: 1 })).toThrow(/every logit of row 1 is -Infinity/);
    const r3 = tf.zeros([1, 2, 3]);
    expect(() => sampleNext(r3, { seed: 1 })).toThrow(/must have rank 1 or 2, got shape \[1,2,3\]/);
    const n = tf.memory().numTensors;
    sampleNext(l, { seed: 3, topK: 2, temperature: 0.5 });
    sampleNext(l, { temperature: 0 });
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([x, l, nan, dead, r3]);
  });
});

describe("nextTokenLoss (reference 5.1)", () => {
  const V = 5;
  const ids = () => tf.tensor2d([[5 % V, 1, 2, 3], [4, 2, 0, 0], [1, 3, 4, 0]], undefined, "int32");
  const logits = () => tf.randomNormal([3, 4, V], 0, 2, "float32", 21);

  /** −log softmax(logits[b, t])[ids[b, t+1]] averaged over targets that are not padId, in float64. */
  function manual(lg: number[][][], id: number[][], padId: number): number {
    let total = 0;
    let n = 0;
    id.forEach((row, b) => {
      for (let t = 0; t + 1 < row.length; t++) {
        if (row[t + 1] === padId) continue;
        const z = lg[b][t];
        const m = Math.max(...z);
        const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
        total += lse - z[row[t + 1]];
        n++;
      }
    });
    return total / n;
  }

  it("is the mean over real next tokens of the shifted cross-entropy", () => {
    const lg = logits();
    const id = ids();
    const want = manual(lg.arraySync() as number[][][], id.arraySync() as number[][], 0);
    expect(nextTokenLoss(lg, id, 0).dataSync()[0]).toBeCloseTo(want, 5);
    // Not the unshifted loss (each position scored against its own token).
    const lossOf = (f: (b: number, t: number) => boolean) => {
      const l = lg.arraySync() as number[][][];
      const i = id.arraySync() as number[][];
      let s = 0, c = 0;
      i.forEach((row, b) => row.forEach((_, t) => {
        if (!f(b, t)) return;
        const z = l[b][t];
        const m = Math.max(...z);
        s += m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0)) - z[row[t]];
        c++;
      }));
      return s / c;
    };
    expect(Math.abs(nextTokenLoss(lg, id, 0).dataSync()[0] - lossOf((b, t) => (id.arraySync() as number[][])[b][t] !== 0))).toBeGreaterThan(1e-3);
    // The fast path's cross-entropy of the shifted pair is the same number.
    const fastLoss = tf.tidy(() => fastCrossEntropy(tf.slice(lg, [0, 0, 0], [3, 3, V]), tf.slice(id, [0, 1], [3, 3]), 0).dataSync()[0]);
    expect(nextTokenLoss(lg, id, 0).dataSync()[0]).toBeCloseTo(fastLoss, 5);
    tf.dispose([lg, id]);
  });

  it("ignores padding: logits at padded targets, extra padding columns and the last position change nothing", () => {
    const lg = logits();
    const id = ids();
    const base = nextTokenLoss(lg, id, 0).dataSync()[0];
    // Change the logits that predict padding (row 1, positions 1 and 2; row 2, position 2) and the last position everywhere.
    const changed = tf.tidy(() => {
      const mask = tf.tensor3d([[0, 0, 0, 1], [0, 1, 1, 1], [0, 0, 1, 1]].map((r) => r.map((m) => new Array(V).fill(m))));
      return tf.add(lg, tf.mul(mask, 100));
    });
    expect(nextTokenLoss(changed, id, 0).dataSync()[0]).toBeCloseTo(base, 5);
    const wider = tf.concat([id, tf.zeros([3, 2], "int32")], 1);
    const widerLogits = tf.concat([lg, tf.randomNormal([3, 2, V], 0, 1, "float32", 22)], 1);
    expect(nextTokenLoss(widerLogits, wider, 0).dataSync()[0]).toBeCloseTo(base, 5);
    // Another pad id: id 0 counts now, id 4 is padding.
    const want = manual(lg.arraySync() as number[][][], id.arraySync() as number[][], 4);
    expect(nextTokenLoss(lg, id, 4).dataSync()[0]).toBeCloseTo(want, 5);
    tf.dispose([lg, id, changed, wider, widerLogits]);
  });

  it("has a gradient (it trains a model), leaks nothing, leaves its inputs alone", () => {
    const lg = logits();
    const id = ids();
    const copy = lg.dataSync().slice();
    const g = tf.grad((x: tf.Tensor) => nextTokenLoss(x, id, 0))(lg);
    expect(g.shape).toEqual([3, 4, V]);
    // No gradient reaches the positions that predict padding, nor the last position.
    expect(tf.tidy(() => tf.sum(tf.abs(tf.slice(g, [1, 1, 0], [1, 3, V]))).dataSync()[0])).toBe(0);
    expect(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0])).toBeGreaterThan(0);
    expect(Array.from(lg.dataSync())).toEqual(Array.from(copy));
    const n = tf.memory().numTensors;
    tf.dispose(nextTokenLoss(lg, id, 0));
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([lg, id, g]);
  });

  it("rejects shapes that do not match, a sequence of one token, all-padding targets and ids outside the vocabulary", () => {
    const lg = logits();
    const id = ids();
    const short = tf.slice(id, [0, 0], [3, 3]);
    expect(() => nextTokenLoss(lg, short, 0)).toThrow(/nextTokenLoss: ids \[3,3\] must be \[B, T\] = \[3,4\] for logits \[3,4,5\]/);
    const one = tf.zeros([2, 1, V]);
    const oneId = tf.zeros([2, 1], "int32");
    expect(() => nextTokenLoss(one, oneId, 0)).toThrow(/T = 1: a next-token loss needs at least 2 positions/);
    const pads = tf.tensor2d([[1, 0, 0]], undefined, "int32");
    const padLogits = tf.zeros([1, 3, V]);
    expect(() => nextTokenLoss(padLogits, pads, 0)).toThrow(/every target in ids \[1,3\] is padding \(padId 0\)/);
    const big = tf.tensor2d([[1, 7, 0]], undefined, "int32");
    expect(() => nextTokenLoss(padLogits, big, 0)).toThrow(/nextTokenLoss: ids\[0\]\[1\] = 7 is not a token id for logits with V = 5/);
    const floatIds = tf.zeros([3, 4]);
    expect(() => nextTokenLoss(lg, floatIds, 0)).toThrow(/argument "ids" \[B, T\] must have dtype int32/);
    expect(() => nextTokenLoss(lg, id, 0.5)).toThrow(/argument "padId" must be an integer/);
    tf.dispose([lg, id, short, one, oneId, pads, padLogits, big, floatIds]);
  });
});

describe("the stubs in lib/gpt.ts", () => {
  it("say which exercise, notebook and file each belongs to", () => {
    const p = model(12);
    const ids = tf.tensor2d([[5, 7]], undefined, "int32");
    const calls: [string, string, () => unknown][] = [
      ["5.1", "nextTokenLoss", () => stubs.nextTokenLoss(tf.zeros([1, 2, 11]), ids, 0)],
      ["5.2", "sampleNext", () => stubs.sampleNext(tf.zeros([1, 11]), { seed: 1 })],
      ["5.3", "decodeStepWithCache", () => stubs.decodeStepWithCache(p, [5], null)],
      ["5.4", "gptForward", () => stubs.gptForward(p, ids)],
    ];
    for (const [id, fn, call] of calls) {
      expect(() => tf.tidy(() => void call())).toThrow(`Exercise ${id} (notebooks/05-gpt.ipynb): implement ${fn} in lib/gpt.ts`);
    }
    tf.dispose(ids);
    disposeGpt(p);
  });
});
