/**
 * The reference solutions of notebook 06 (solutions/decoding.ts): greedy decoding and beam
 * search on a small table-driven model whose every sequence probability is known (so the
 * searches can be checked against brute-force enumeration), edit distance against a
 * recursive definition, and the phoneme error rate's closest-reference rule.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import type { DecodingModel } from "../../lib/support/types";
import { beamSearch, editDistance, greedyDecode, phonemeErrorRate } from "../../solutions/decoding";
import { DEFAULT_TABLE, lcg, stepCount, tableLogProbs as tableLogProbs_, tableModel as tableModel_ } from "../grading/checks/decoding";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

// The graded checks' table model (tests/grading/checks/decoding.ts): ids 0 PAD, 1 BOS, 2 EOS, 3.. content tokens.
const PAD = DEFAULT_TABLE.padId;
const EOS = DEFAULT_TABLE.eosId;
const BOS = DEFAULT_TABLE.bosId;
const V = DEFAULT_TABLE.vocabSize;
const rng = lcg;
const tableLogProbs = (source: number, prefix: readonly number[], eosBias = 0) => tableLogProbs_({ ...DEFAULT_TABLE, eosBias }, source, prefix);
const tableModel = (eosBias = 0): DecodingModel => tableModel_({ eosBias });

/** Every output of up to maxLen tokens (content tokens, then EOS unless cut) with its log-probability. */
function enumerate(source: number, maxLen: number, eosBias = 0): { tokens: number[]; logProb: number; finished: boolean }[] {
  const out: { tokens: number[]; logProb: number; finished: boolean }[] = [];
  const walk = (prefix: number[], logProb: number) => {
    if (prefix.length === maxLen) {
      out.push({ tokens: prefix, logProb, finished: false });
      return;
    }
    const lp = tableLogProbs(source, prefix, eosBias);
    for (let v = 0; v < V; v++) {
      if (v === PAD || v === BOS) continue; // ~0 probability: never the best
      if (v === EOS) out.push({ tokens: [...prefix, EOS], logProb: logProb + lp[v], finished: true });
      else walk([...prefix, v], logProb + lp[v]);
    }
  };
  walk([], 0);
  return out;
}

const src = (ids: number[]) => tf.tensor2d(ids.map((s) => [s, 7]), [ids.length, 2], "int32");

function leakFree(f: () => void): void {
  f();
  const before = tf.memory().numTensors;
  f();
  expect(tf.memory().numTensors).toBe(before);
}

describe("greedyDecode", () => {
  it("takes the arg-max at each step, stops each row at EOS and pads after it", () => {
    const model = tableModel(0.5);
    const s = src([3, 11, 42, 5]);
    const out = greedyDecode(model, s, 8);
    expect(out.shape).toEqual([4, 8]);
    expect(out.dtype).toBe("int32");
    const rows = out.arraySync() as number[][];
    [3, 11, 42, 5].forEach((source, i) => {
      const expected: number[] = [];
      while (expected.length < 8 && expected.at(-1) !== EOS) {
        const lp = tableLogProbs(source, expected, 0.5);
        expected.push(lp.indexOf(Math.max(...lp)));
      }
      expect(rows[i].slice(0, expected.length)).toEqual(expected);
      expect(rows[i].slice(expected.length).every((v) => v === PAD)).toBe(true);
    });
    expect(rows.some((r) => r.includes(EOS))).toBe(true);
    tf.dispose([out, s]);
  });

  it("stops once every row has finished, and cuts rows at maxLen", () => {
    const model = tableModel(4); // EOS very likely from the start
    const s = src([1, 2, 3]);
    const out = greedyDecode(model, s, 30);
    expect(stepCount(model).steps).toBeLessThan(30);
    const short = greedyDecode(tableModel(-20), s, 3); // EOS never chosen: every row cut
    expect(short.shape).toEqual([3, 3]);
    expect((short.arraySync() as number[][]).flat().every((v) => v >= 3)).toBe(true);
    tf.dispose([out, short, s]);
  });

  it("frees everything it makes (also inside the caller's tidy) and leaves its inputs alone", () => {
    const model = tableModel(0.5);
    const s = src([3, 4]);
    leakFree(() => greedyDecode(model, s, 6).dispose());
    const kept = tf.tidy(() => greedyDecode(model, s, 6));
    expect(kept.isDisposed).toBe(false);
    expect(s.arraySync()).toEqual([[3, 7], [4, 7]]);
    tf.dispose([kept, s]);
  });

  it("rejects bad input naming greedyDecode and the argument", () => {
    const model = tableModel();
    const s = src([3]);
    expect(() => greedyDecode({} as DecodingModel, s, 5)).toThrow(/greedyDecode: argument "model" must be a DecodingModel/);
    expect(() => greedyDecode(model, tf.zeros([2, 3]), 5)).toThrow(/greedyDecode: argument "src".*int32/);
    expect(() => greedyDecode(model, s, 0)).toThrow(/greedyDecode: argument "maxLen" must be an integer >= 1, got number 0/);
    expect(() => greedyDecode(model, s, 2.5)).toThrow(/maxLen/);
    s.dispose();
  });
});

describe("beamSearch", () => {
  const sources = [3, 11, 42, 5, 8, 13];

  it("beamWidth 1 gives exactly greedyDecode's output", () => {
    for (const bias of [-1, 0.5, 2]) {
      const s = src(sources);
      const g = greedyDecode(tableModel(bias), s, 7);
      const b = beamSearch(tableModel(bias), s, { beamWidth: 1, maxLen: 7 });
      expect(b.tokens.arraySync()).toEqual(g.arraySync());
      expect(b.hypotheses.every((h) => h.length === 1)).toBe(true);
      tf.dispose([s, g, b.tokens]);
    }
  });

  it("with a beam as wide as every sequence, finds the brute-force best under each length normalisation", () => {
    const maxLen = 4; // 4 content tokens: at most 4^3 = 64 live prefixes, all kept by a beam of 200
    for (const alpha of [0, 0.6, 1]) {
      const s = src(sources);
      const r = beamSearch(tableModel(0.3), s, { beamWidth: 200, maxLen, lengthPenalty: alpha });
      sources.forEach((source, i) => {
        const all = enumerate(source, maxLen, 0.3).map((h) => ({ ...h, score: h.logProb / Math.pow(h.tokens.length, alpha) }));
        all.sort((a, b) => b.score - a.score);
        const best = r.hypotheses[i][0];
        expect(best.tokens).toEqual(all[0].tokens);
        expect(best.logProb).toBeCloseTo(all[0].logProb, 4);
        expect(best.score).toBeCloseTo(all[0].score, 4);
      });
      tf.dispose([s, r.tokens]);
    }
  });

  it("keeps finished hypotheses aside: no hypothesis is extended past EOS, none repeats, scores are sorted", () => {
    const s = src(sources);
    const r = beamSearch(tableModel(0.5), s, { beamWidth: 4, maxLen: 9 });
    r.hypotheses.forEach((hs, i) => {
      expect(hs.length).toBeGreaterThan(0);
      expect(hs.length).toBeLessThanOrEqual(4);
      const keys = hs.map((h) => h.tokens.join(","));
      expect(new Set(keys).size).toBe(keys.length); // no duplicates
      for (const h of hs) {
        expect(h.tokens.indexOf(EOS)).toBe(h.finished ? h.tokens.length - 1 : -1);
        const exact = h.tokens.reduce((acc, t, j) => acc + tableLogProbs(sources[i], h.tokens.slice(0, j), 0.5)[t], 0);
        expect(h.logProb).toBeCloseTo(exact, 4); // a sum of log-probabilities
        expect(h.score).toBeCloseTo(h.logProb / h.tokens.length, 5); // α = 1 by default
      }
      for (let j = 1; j < hs.length; j++) expect(hs[j - 1].score).toBeGreaterThanOrEqual(hs[j].score);
    });
    // tokens: the best hypothesis of each source, padded after EOS
    const rows = r.tokens.arraySync() as number[][];
    rows.forEach((row, i) => expect(row.slice(0, r.hypotheses[i][0].tokens.length)).toEqual(r.hypotheses[i][0].tokens));
    tf.dispose([s, r.tokens]);
  });

  it("length normalisation: α = 0 prefers shorter outputs than α = 1", () => {
    const s = src(sources);
    const len = (alpha: number) => {
      const r = beamSearch(tableModel(0.2), s, { beamWidth: 5, maxLen: 9, lengthPenalty: alpha });
      r.tokens.dispose();
      return r.hypotheses.reduce((n, h) => n + h[0].tokens.length, 0);
    };
    expect(len(0)).toBeLessThan(len(1));
    s.dispose();
  });

  it("frees everything it makes and rejects bad options naming beamSearch", () => {
    const model = tableModel(0.5);
    const s = src([3, 4]);
    leakFree(() => beamSearch(model, s, { beamWidth: 3, maxLen: 6 }).tokens.dispose());
    expect(() => beamSearch(model, s, { beamWidth: 0, maxLen: 5 })).toThrow(/beamSearch: argument "opts.beamWidth" must be an integer >= 1, got number 0/);
    expect(() => beamSearch(model, s, { beamWidth: -2, maxLen: 5 })).toThrow(/beamWidth/);
    expect(() => beamSearch(model, s, { beamWidth: 2, maxLen: 0 })).toThrow(/beamSearch: argument "opts.maxLen"/);
    expect(() => beamSearch(model, s, { beamWidth: 2, maxLen: 5, lengthPenalty: NaN })).toThrow(/beamSearch: argument "opts.lengthPenalty" must be a finite number, got number NaN/);
    expect(() => beamSearch(model, s, undefined as never)).toThrow(/beamSearch: argument "opts"/);
    expect(() => beamSearch(model, tf.zeros([0, 2], "int32"), { beamWidth: 2, maxLen: 5 })).toThrow(/at least one token per row/);
    s.dispose();
  });
});

describe("editDistance", () => {
  /** The recursive definition, for short sequences. */
  function naive(a: readonly unknown[], b: readonly unknown[]): number {
    if (a.length === 0) return b.length;
    if (b.length === 0) return a.length;
    return Math.min(naive(a.slice(1), b) + 1, naive(a, b.slice(1)) + 1, naive(a.slice(1), b.slice(1)) + (a[0] === b[0] ? 0 : 1));
  }

  it("known cases, strings and token arrays, the empty sequence", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance([], ["K", "AE", "T"])).toBe(3);
    expect(editDistance(["K", "AE", "T"], [])).toBe(3);
    expect(editDistance([], [])).toBe(0);
    expect(editDistance(["R", "EH", "D"], ["R", "IY", "D"])).toBe(1); // one substitution costs 1
    expect(editDistance([1, 2, 3], [1, 3])).toBe(1);
  });

  it("equals the recursive definition on random short sequences, and is symmetric", () => {
    const r = rng(9);
    for (let n = 0; n < 200; n++) {
      const a = Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 3));
      const b = Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 3));
      expect(editDistance(a, b)).toBe(naive(a, b));
      expect(editDistance(b, a)).toBe(editDistance(a, b));
    }
  });

  it("rejects what is not a sequence of tokens", () => {
    expect(() => editDistance(undefined as never, [])).toThrow(/editDistance: argument "a" must be an array of tokens/);
    expect(() => editDistance(["A"], [{}] as never)).toThrow(/editDistance: b\[0\] must be a token/);
  });
});

describe("phonemeErrorRate", () => {
  it("sums edits over the summed lengths of the closest references", () => {
    // word 1: 1 edit against "R IY D" (3); word 2: 0 edits (5 long). Mean of per-word rates would be 1/6.
    const p = phonemeErrorRate([["R", "IH", "D"], ["HH", "AH", "L", "OW", "Z"]], [[["R", "EH", "D"], ["R", "IY", "D"]], [["HH", "AH", "L", "OW", "Z"]]]);
    expect(p).toBeCloseTo(1 / 8, 10);
    // the closest of several references counts, with its own length
    expect(phonemeErrorRate([["R", "IY", "D"]], [[["R", "EH", "D", "Z", "Z"], ["R", "IY", "D"]]])).toBe(0);
    expect(phonemeErrorRate([["A", "B"]], [[["A", "B", "C", "D"], ["X"]]])).toBeCloseTo(2 / 4, 10); // 2 edits vs 2 edits: the first listed
    expect(phonemeErrorRate([[]], [[["K", "AE", "T"]]])).toBe(1); // empty prediction: every phoneme missing
    expect(phonemeErrorRate([[7, 8, 9]], [[[7, 8]]])).toBeCloseTo(1 / 2, 10); // ids work too
  });

  it("rejects mismatched, empty and undefined inputs naming phonemeErrorRate", () => {
    expect(() => phonemeErrorRate([["A"]], [])).toThrow(/phonemeErrorRate: 1 predictions but 0 references/);
    expect(() => phonemeErrorRate([], [])).toThrow(/no words to score/);
    expect(() => phonemeErrorRate([["A"]], [[]])).toThrow(/references\[0\] must be a non-empty array of pronunciations/);
    expect(() => phonemeErrorRate([["A"]], [[[]]])).toThrow(/every closest reference is empty/);
    expect(() => phonemeErrorRate("A" as never, [[["A"]]])).toThrow(/argument "predictions"/);
  });
});
