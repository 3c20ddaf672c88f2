/**
 * Misconception variants for the exercises in lib/decoding.ts
 * (6.1 greedyDecode, 6.2 beamSearch, 6.3 editDistance, 6.4 phonemeErrorRate).
 *
 * Each variant is the reference algorithm with exactly one mistake, self-contained (its own
 * edit distance in 6.4), without input checks, freeing what it makes.
 */
import * as tf from "@tensorflow/tfjs";
import type { Misconception } from "../../../grader/types";
import type { BeamSearchOptions, BeamSearchResult, DecoderState, DecodingModel, Hypothesis, Token } from "../../../lib/support/types";
import type { DecodingModule } from "../checks/decoding";

type Greedy = DecodingModule["greedyDecode"];
type Beam = DecodingModule["beamSearch"];
type Edit = DecodingModule["editDistance"];
type Per = DecodingModule["phonemeErrorRate"];

const dispose = (s: DecoderState | undefined) => s && tf.dispose(Object.values(s));

function padRows(rows: readonly number[][], maxLen: number, padId: number): tf.Tensor {
  const flat = new Int32Array(rows.length * maxLen).fill(padId);
  rows.forEach((r, i) => flat.set(r.slice(0, maxLen), i * maxLen));
  return tf.tensor2d(flat, [rows.length, maxLen], "int32");
}

// ---------------------------------------------------------------------------------------------
// 6.1 greedyDecode

interface GreedyOptions {
  /** Keep appending each row's arg-max after its [EOS] (decode every row to maxLen). */
  noPadding?: boolean;
  /** Stop every row as soon as any row produces [EOS]. */
  stopAtFirst?: boolean;
}

function greedyWith(o: GreedyOptions): Greedy {
  return (model: DecodingModel, src: tf.Tensor, maxLen: number) => {
    const b = src.shape[0];
    const out: number[][] = Array.from({ length: b }, () => []);
    const done = new Array<boolean>(b).fill(false);
    let state: DecoderState = model.start(src);
    let last = new Array<number>(b).fill(model.bosId);
    for (let t = 0; t < maxLen; t++) {
      if (o.noPadding ? false : o.stopAtFirst ? done.some((d) => d) : done.every((d) => d)) break;
      const feed = tf.tensor1d(last, "int32");
      const { logProbs, state: next } = model.step(state, feed);
      feed.dispose();
      dispose(state);
      state = next;
      const best = tf.argMax(logProbs, -1);
      const ids = best.arraySync() as number[];
      tf.dispose([logProbs, best]);
      last = ids;
      ids.forEach((id, i) => {
        if (done[i] && !o.noPadding) return;
        out[i].push(id);
        if (id === model.eosId) done[i] = true;
      });
    }
    dispose(state);
    return padRows(out, maxLen, model.padId);
  };
}

export const GREEDY_MISCONCEPTIONS: readonly Misconception<Greedy>[] = [
  {
    exercise: "6.1",
    id: "no-padding-after-eos",
    looksLike: "greedy decoding that keeps appending tokens to a row after its [EOS]",
    fix: "once a row has produced model.eosId it is finished: fill the rest of that row with model.padId (and stop when every row has finished)",
    fn: greedyWith({ noPadding: true }),
  },
  {
    exercise: "6.1",
    id: "stop-at-first-eos",
    looksLike: "greedy decoding that stops every row as soon as one row produces [EOS]",
    fix: "track which rows have finished and keep decoding the others until every row has produced [EOS] or maxLen is reached",
    fn: greedyWith({ stopAtFirst: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 6.2 beamSearch

interface BeamOptions {
  /** Multiply probabilities instead of adding log-probabilities (the logProb field holds the product). */
  probabilities?: boolean;
  /** Never set [EOS]-ending hypotheses aside: they stay in the beam and are extended. */
  expandFinished?: boolean;
  /** Length-normalise only the hypotheses cut at maxLen; finished ones are scored by their raw logProb. */
  normaliseUnfinishedOnly?: boolean;
  /** Start from beamWidth copies of [BOS] per source. */
  copies?: boolean;
}

interface Live {
  source: number;
  tokens: number[];
  logProb: number;
}

function beamWith(o: BeamOptions): Beam {
  return (model: DecodingModel, src: tf.Tensor, opts: BeamSearchOptions): BeamSearchResult => {
    const { beamWidth, maxLen } = opts;
    const alpha = opts.lengthPenalty ?? 1;
    const b = src.shape[0];
    const done: Hypothesis[][] = Array.from({ length: b }, () => []);
    const keep = (h: Live, finished: boolean) => {
      const norm = o.normaliseUnfinishedOnly && finished ? 1 : Math.pow(h.tokens.length, alpha);
      done[h.source].push({ tokens: h.tokens, logProb: h.logProb, score: h.logProb / norm, finished });
    };
    let live: Live[] = [];
    for (let s = 0; s < b; s++) for (let c = 0; c < (o.copies ? beamWidth : 1); c++) live.push({ source: s, tokens: [], logProb: o.probabilities ? 1 : 0 });
    let state: DecoderState | undefined = model.start(src);
    if (o.copies) {
      const copied = model.selectRows(state, live.map((h) => h.source));
      dispose(state);
      state = copied;
    }
    for (let t = 0; t < maxLen && live.length > 0; t++) {
      const feed = tf.tensor1d(live.map((h) => (h.tokens.length === 0 ? model.bosId : h.tokens[h.tokens.length - 1])), "int32");
      const { logProbs, state: stepped } = model.step(state!, feed);
      feed.dispose();
      dispose(state);
      state = stepped;
      const lp = logProbs.arraySync() as number[][];
      logProbs.dispose();
      const bySource = new Map<number, { row: number; token: number; score: number; step: number }[]>();
      live.forEach((h, row) => {
        const list = bySource.get(h.source) ?? [];
        lp[row].forEach((step, token) => list.push({ row, token, score: o.probabilities ? h.logProb * Math.exp(step) : h.logProb + step, step }));
        bySource.set(h.source, list);
      });
      const next: Live[] = [];
      const parents: number[] = [];
      for (const [source, candidates] of bySource) {
        const room = beamWidth - done[source].length;
        candidates.sort((x, y) => y.score - x.score || y.step - x.step || x.row - y.row || x.token - y.token);
        for (const c of candidates.slice(0, room)) {
          const h: Live = { source, tokens: [...live[c.row].tokens, c.token], logProb: c.score };
          if (c.token === model.eosId && !o.expandFinished) keep(h, true);
          else {
            next.push(h);
            parents.push(c.row);
          }
        }
      }
      live = next;
      const selected = parents.length > 0 ? model.selectRows(state, parents) : undefined;
      dispose(state);
      state = selected;
    }
    dispose(state);
    for (const h of live) keep(h, o.expandFinished ? h.tokens.includes(model.eosId) : false);
    for (const list of done) list.sort((x, y) => y.score - x.score);
    return { tokens: padRows(done.map((list) => list[0].tokens), maxLen, model.padId), hypotheses: done };
  };
}

export const BEAM_MISCONCEPTIONS: readonly Misconception<Beam>[] = [
  {
    exercise: "6.2",
    id: "probabilities-not-logs",
    looksLike: "a beam search that multiplies probabilities instead of adding log-probabilities",
    fix: "keep each hypothesis's score as a sum of log-probabilities (logProb + the step's log-probability): products of probabilities shrink towards 0 and their length normalisation ranks outputs differently",
    fn: beamWith({ probabilities: true }),
  },
  {
    exercise: "6.2",
    id: "finished-keep-expanding",
    looksLike: "a beam search that keeps extending hypotheses after their [EOS]",
    fix: "when a candidate ends with model.eosId, set it aside as finished (never extend it again) and give its place in the beam up: the source keeps beamWidth − (finished so far) live hypotheses",
    fn: beamWith({ expandFinished: true }),
  },
  {
    exercise: "6.2",
    id: "normalise-unfinished-only",
    looksLike: "a beam search that length-normalises only the hypotheses cut at maxLen (finished ones keep their raw logProb as score)",
    fix: "score every kept hypothesis, finished or cut at maxLen, as logProb / length^lengthPenalty before ranking them",
    fn: beamWith({ normaliseUnfinishedOnly: true }),
  },
  {
    exercise: "6.2",
    id: "beam-of-copies",
    looksLike: "a beam search that starts from beamWidth copies of [BOS], so the beam fills with duplicates of the same hypothesis",
    fix: "start each source from ONE hypothesis ([BOS] alone); the first step's candidates then fill the beam with different tokens",
    fn: beamWith({ copies: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 6.3 editDistance

interface EditOptions {
  substitution?: number;
  /** Leave the table's first row and column at 0 (leading insertions and deletions cost nothing). */
  zeroBorder?: boolean;
}

const tokens = (s: readonly Token[] | string): readonly Token[] => (typeof s === "string" ? Array.from(s) : s);

function editWith(o: EditOptions): Edit {
  return (a, b) => {
    const x = tokens(a);
    const y = tokens(b);
    let prev = Array.from({ length: y.length + 1 }, (_, j) => (o.zeroBorder ? 0 : j));
    for (let i = 1; i <= x.length; i++) {
      const cur = [o.zeroBorder ? 0 : i];
      for (let j = 1; j <= y.length; j++) {
        cur.push(Math.min(prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : o.substitution ?? 1), prev[j] + 1, cur[j - 1] + 1));
      }
      prev = cur;
    }
    return prev[y.length];
  };
}

export const EDIT_MISCONCEPTIONS: readonly Misconception<Edit>[] = [
  {
    exercise: "6.3",
    id: "substitution-costs-2",
    looksLike: "an edit distance where a substitution costs 2 (a deletion plus an insertion)",
    fix: "replacing one token by another is a single edit: cost 1 when the tokens differ, 0 when they are equal",
    fn: editWith({ substitution: 2 }),
  },
  {
    exercise: "6.3",
    id: "zero-border",
    looksLike: "an edit distance whose table starts with a first row and column of zeros (the empty sequence costs nothing)",
    fix: "the distance between the empty sequence and the first j tokens is j: start the first row at 0, 1, 2, … and each row i with i",
    fn: editWith({ zeroBorder: true }),
  },
];

// ---------------------------------------------------------------------------------------------
// 6.4 phonemeErrorRate

interface PerOptions {
  /** Average the per-word rates (edits / length of each word) instead of summing edits and lengths. */
  meanOfRates?: boolean;
  /** Score each word against its first listed pronunciation only. */
  firstOnly?: boolean;
}

const distance = editWith({});

function perWith(o: PerOptions): Per {
  return (predictions, references) => {
    let edits = 0;
    let length = 0;
    let rates = 0;
    predictions.forEach((p, i) => {
      const refs = o.firstOnly ? references[i].slice(0, 1) : references[i];
      let best = Infinity;
      let bestLength = 0;
      for (const r of refs) {
        const d = distance(p, r);
        if (d < best) [best, bestLength] = [d, r.length];
      }
      edits += best;
      length += bestLength;
      rates += best / bestLength;
    });
    return o.meanOfRates ? rates / predictions.length : edits / length;
  };
}

export const PER_MISCONCEPTIONS: readonly Misconception<Per>[] = [
  {
    exercise: "6.4",
    id: "mean-of-word-rates",
    looksLike: "the mean of the per-word error rates",
    fix: "add up the edits of all words and divide by the total length of their (closest) references, so that a long word weighs more than a short one",
    fn: perWith({ meanOfRates: true }),
  },
  {
    exercise: "6.4",
    id: "first-pronunciation-only",
    looksLike: "an error rate against each word's first listed pronunciation only",
    fix: "compare the prediction with every pronunciation listed for the word and count the closest one (fewest edits; its length goes into the denominator)",
    fn: perWith({ firstOnly: true }),
  },
];
