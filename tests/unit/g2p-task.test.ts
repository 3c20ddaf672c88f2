/**
 * Notebook 06's tasks (lib/support/tasks/g2p.ts): words in, errors for what the models cannot
 * take, the CMUdict splits as ids, length-grouped batches, the support code's scoring against
 * the reference exercise (phonemeErrorRate), and a short training run of each model that
 * lowers the loss and leaves no tensors behind. Full training is `npm run bench -- g2p`.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { createGruSeq2Seq } from "../../lib/support/models/rnn";
import { createSeq2Seq } from "../../lib/support/models/seq2seq";
import {
  disposeG2pBatch, encodeWord, encodeWords, G2P_GRU, G2P_GRU_TASK, G2P_RECIPE, G2P_TASK, G2P_TRANSFORMER, g2pBatch, g2pBatches, g2pData,
  g2pGru, g2pLoss, g2pSchedule, g2pTransformer, phonemesOf, scoreG2p, scoreWord, trainG2p,
} from "../../lib/support/tasks/g2p";
import { findTask } from "../../lib/support/tasks";
import { phonemeTokenizer } from "../../lib/support/tokenizers";
import { causalMask } from "../../solutions/attention";
import { decoderLayer, encoderLayer, layerNorm } from "../../solutions/blocks";
import { editDistance, greedyDecode, phonemeErrorRate } from "../../solutions/decoding";
import { sinusoidalPositionalEncoding } from "../../solutions/multihead";

const blocks = { layerNorm, encoderLayer, decoderLayer, causalMask, sinusoidalPositionalEncoding };

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

describe("words in", () => {
  it("letters a-z become ids 7-32; case and accents are folded", () => {
    expect(encodeWord("cab")).toEqual([9, 7, 8]);
    expect(encodeWord("CaFé")).toEqual(encodeWord("cafe"));
    const src = encodeWords(["read", "a"]);
    expect(src.shape).toEqual([2, 4]);
    expect(src.arraySync()).toEqual([encodeWord("read"), [7, 0, 0, 0]]);
    src.dispose();
  });

  it("refuses what the models were not trained on, saying what and why", () => {
    expect(() => encodeWord("don't")).toThrow(`encodeWord: "don't" has a character outside a-z ("'" at position 3); the models were trained on letters only`);
    expect(() => encodeWord("b2b")).toThrow(/"b2b" has a character outside a-z \("2"/);
    expect(() => encodeWord("ice cream")).toThrow(/" " at position 3/);
    expect(() => encodeWord("")).toThrow("encodeWord: the word is empty");
    expect(() => encodeWord("a".repeat(35))).toThrow("has 35 letters; the models take at most 34");
    expect(() => encodeWords([])).toThrow("encodeWords: give a non-empty array of words");
    expect(() => encodeWords(["ok", 7 as never])).toThrow("encodeWords: a word must be a string, got number");
  });

  it("phonemesOf stops at EOS and skips padding", () => {
    const tok = phonemeTokenizer();
    expect(phonemesOf([tok.idOf("R"), tok.idOf("IY"), tok.idOf("D"), 6, 0, 0])).toEqual(["R", "IY", "D"]);
  });
});

describe("data and batches", () => {
  it("every training pronunciation is one pair; val and test keep all pronunciations per word", () => {
    const d = g2pData();
    expect(d.train.length).toBe(111843);
    expect(d.val.length).toBe(5825);
    expect(d.test.length).toBe(5825);
    expect(d.val.some((w) => w.references.length > 1)).toBe(true);
  });

  it("an epoch covers every pair once, within the token budget, grouped by length, the same for the same seed", () => {
    const pairs = g2pData().train.slice(0, 3000);
    const a = g2pBatches(pairs, 600, 3);
    expect(g2pBatches(pairs, 600, 3)).toEqual(a);
    expect(g2pBatches(pairs, 600, 5)).not.toEqual(a);
    expect(a.flat().sort((x, y) => x - y)).toEqual(pairs.map((_, i) => i));
    for (const idx of a) {
      const s = Math.max(...idx.map((i) => pairs[i].src.length));
      const t = Math.max(...idx.map((i) => pairs[i].tgt.length + 1));
      expect(idx.length === 1 || idx.length * (s + t) <= 600).toBe(true);
    }
    const padding = a.reduce((n, idx) => {
      const s = Math.max(...idx.map((i) => pairs[i].src.length));
      return n + idx.reduce((m, i) => m + s - pairs[i].src.length, 0);
    }, 0);
    expect(padding / pairs.reduce((n, p) => n + p.src.length, 0)).toBeLessThan(0.05); // length grouping
    const b = g2pBatch(pairs, a[0]);
    const tgtIn = b.tgtIn.arraySync() as number[][];
    const tgtOut = b.tgtOut.arraySync() as number[][];
    a[0].forEach((i, r) => {
      expect(tgtIn[r].slice(0, pairs[i].tgt.length + 1)).toEqual([5, ...pairs[i].tgt]);
      expect(tgtOut[r].slice(0, pairs[i].tgt.length + 1)).toEqual([...pairs[i].tgt, 6]);
    });
    disposeG2pBatch(b);
  });

  it("the schedule warms up linearly, peaks, and decays to 5% at the last step", () => {
    const lr = g2pSchedule({ learningRate: 1e-3, warmup: 10, steps: 100 });
    expect(lr(1)).toBeCloseTo(1e-4, 10);
    expect(lr(10)).toBeCloseTo(1e-3, 10);
    expect(lr(100)).toBeCloseTo(5e-5, 10);
    expect(lr(50)).toBeLessThan(lr(20));
  });
});

describe("scoring", () => {
  it("scoreWord takes the closest reference, ties to the first", () => {
    expect(scoreWord([1, 2, 3], [[1, 2, 4, 5], [1, 2, 3]])).toEqual({ edits: 0, length: 3 });
    expect(scoreWord([1, 2], [[1, 2, 3, 4], [9]])).toEqual({ edits: 2, length: 4 });
    expect(scoreWord([], [[7, 8]])).toEqual({ edits: 2, length: 2 });
  });

  it("scoreG2p's PER equals the reference phonemeErrorRate on the same predictions; WER by length adds up", () => {
    const model = g2pTransformer(createSeq2Seq(undefined, { ...G2P_TRANSFORMER, d: 16, dff: 32, numLayers: 1 }, 3));
    const words = g2pData().val.slice(0, 60);
    const s = scoreG2p(model.decoder, words, { batchSize: 16 });
    const tok = phonemeTokenizer();
    const phon = (ids: number[]) => ids.map((i) => tok.tokenOf(i));
    const per = phonemeErrorRate(s.predictions.map((p) => phon(p.prediction)), words.map((w) => w.references.map(phon)));
    expect(s.per).toBeCloseTo(per, 12);
    s.predictions.forEach((p, i) => expect(p.score.edits).toBe(Math.min(...words[i].references.map((r) => editDistance(p.prediction, r)))));
    expect(s.byLength.reduce((n, b) => n + b.words, 0)).toBe(60);
    expect(s.byLength.reduce((n, b) => n + b.wer * b.words, 0) / 60).toBeCloseTo(s.wer, 12);
    // the support decoder is greedy decoding: the reference greedyDecode gives the same outputs
    const src = encodeWords(words.slice(0, 8).map((w) => w.word));
    const g = greedyDecode(model.decoder, src, 34);
    const rows = g.arraySync() as number[][];
    expect(rows.map((r) => phonemesOf(r))).toEqual(s.predictions.slice(0, 8).map((p) => phon(p.prediction)));
    tf.dispose([src, g]);
    model.dispose();
  });
});

describe("the two tasks", () => {
  it("are registered with fixed seeds and deterministic creation", () => {
    expect(findTask("g2p")).toBe(G2P_TASK);
    expect(findTask("g2p-gru")).toBe(G2P_GRU_TASK);
    const a = G2P_TASK.create();
    const b = G2P_TASK.create();
    expect(a.named().map((n) => n.name)).toEqual(b.named().map((n) => n.name));
    tf.tidy(() => {
      expect(tf.max(tf.abs(tf.sub(a.named()[0].variable, b.named()[0].variable))).dataSync()[0]).toBe(0);
    });
    expect(a.parameterCount()).toBeGreaterThan(500_000);
    a.dispose();
    b.dispose();
  });

  it.each([
    ["Transformer", () => g2pTransformer(createSeq2Seq(undefined, { ...G2P_TRANSFORMER, d: 32, dff: 64, numLayers: 1 }, 5))],
    ["GRU", () => g2pGru(createGruSeq2Seq({ ...G2P_GRU, embed: 16, hidden: 32 }, 5))],
  ] as const)("%s: a short training run lowers the loss, is repeatable, and leaks nothing", async (_n, make) => {
    const before = tf.memory().numTensors;
    const probe = g2pData().val.slice(0, 64).map((w) => ({ src: w.src, tgt: w.references[0] }));
    const recipe = { ...G2P_RECIPE, tokensPerBatch: 500, warmup: 3, learningRate: 5e-3, logEvery: 6 };
    const m1 = make();
    const start = g2pLoss(m1, probe);
    const r1 = await trainG2p(m1, recipe, { steps: 12 });
    const end = g2pLoss(m1, probe);
    expect(end).toBeLessThan(0.95 * start);
    expect(r1.steps).toBe(12);
    expect(r1.tokens).toBeGreaterThan(0);
    const m2 = make();
    const r2 = await trainG2p(m2, recipe, { steps: 12 });
    expect(r2.losses).toEqual(r1.losses); // same seed, same batches, same numbers
    m1.dispose();
    m2.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("trained through the reference blocks instead of the fast path: the same losses, scores, and no leaks", async () => {
    const before = tf.memory().numTensors;
    const config = { ...G2P_TRANSFORMER, d: 16, dff: 32, numLayers: 1 };
    const recipe = { ...G2P_RECIPE, tokensPerBatch: 300, warmup: 2, learningRate: 3e-3, logEvery: 4 };
    const quick = g2pTransformer(createSeq2Seq(undefined, config, 7));
    const viaBlocks = g2pTransformer(createSeq2Seq(undefined, config, 7), blocks);
    const a = await trainG2p(quick, recipe, { steps: 4 });
    const b = await trainG2p(viaBlocks, recipe, { steps: 4 });
    a.losses.forEach((l, i) => expect(b.losses[i]).toBeCloseTo(l, 4));
    const words = g2pData().val.slice(0, 20);
    const sa = scoreG2p(quick.decoder, words);
    const sb = scoreG2p(viaBlocks.decoder, words);
    expect(sb.predictions.map((p) => p.prediction)).toEqual(sa.predictions.map((p) => p.prediction));
    quick.dispose();
    viaBlocks.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
