/**
 * Reference solutions for notebook 06 (encoder-decoder: decoding and scoring).
 *
 * Decoding talks to a model only through the DecodingModel interface (lib/support/types.ts):
 * start(src) encodes the sources once, step(state, tokens) feeds one token per row and returns
 * the next token's log-probabilities, selectRows(state, rows) copies, reorders or drops rows.
 * The bookkeeping of which hypothesis is which lives in plain JavaScript arrays; only the
 * model's work runs on tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireInt, requireTensor } from "../lib/support/checks";
import type { BeamSearchOptions, BeamSearchResult, DecoderState, DecodingModel, Hypothesis, Token } from "../lib/support/types";
export type { BeamSearchOptions, BeamSearchResult, DecoderState, DecoderStep, DecodingModel, Hypothesis, Token } from "../lib/support/types";

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === "object") return `an object (${(x as object).constructor?.name ?? "Object"})`;
  return `${typeof x} ${String(x)}`;
}

function checkModel(fn: string, model: DecodingModel): void {
  const m = model as unknown as Record<string, unknown>;
  if (typeof m !== "object" || m === null || typeof m.start !== "function" || typeof m.step !== "function" || typeof m.selectRows !== "function") {
    throw new LabInputError(`${fn}: argument "model" must be a DecodingModel (bosId, eosId, padId, vocabSize, start, step, selectRows), got ${describe(model)}`);
  }
  for (const k of ["bosId", "eosId", "padId", "vocabSize"]) requireInt(fn, `model.${k}`, m[k], 0);
}

function checkSrc(fn: string, src: tf.Tensor): number {
  requireTensor(fn, "src", src, { rank: 2, dtypes: ["int32"], pattern: "[B, Tx]" });
  if (src.shape[0] === 0 || src.shape[1] === 0) throw new LabInputError(`${fn}: argument "src" [B, Tx] must hold at least one token per row, got shape ${fmtShape(src.shape)}`);
  return src.shape[0];
}

/** Frees every tensor of a state that has been replaced. */
function disposeState(state: DecoderState | undefined): void {
  if (state) tf.dispose(Object.values(state));
}

/** [B, maxLen] int32 from token rows, padId after each row's tokens. */
function padRows(rows: readonly number[][], maxLen: number, padId: number): tf.Tensor {
  const flat = new Int32Array(rows.length * maxLen).fill(padId);
  rows.forEach((r, i) => flat.set(r.slice(0, maxLen), i * maxLen));
  return tf.tensor2d(flat, [rows.length, maxLen], "int32");
}

/**
 * Exercise 6.1: greedy decoding. Start every row from [BOS]; at each step feed each row's last
 * token, take the most likely next token (the arg-max of the log-probabilities) and append it.
 * A row is finished once it has produced [EOS]; later positions of that row hold padId. Stop
 * after maxLen steps, or earlier once every row has finished.
 *
 * model: a DecodingModel; src: [B, Tx] int32 → [B, maxLen] int32 (the tokens after [BOS], [EOS]
 * included, then padId).
 */
export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  const fn = "greedyDecode";
  checkModel(fn, model);
  const b = checkSrc(fn, src);
  requireInt(fn, "maxLen", maxLen, 1);
  const outputs: number[][] = Array.from({ length: b }, () => []);
  const finished: boolean[] = new Array(b).fill(false);
  let state: DecoderState | undefined = model.start(src);
  let feed = tf.fill([b], model.bosId, "int32"); // [B]: what each row feeds next
  try {
    for (let t = 0; t < maxLen && finished.includes(false); t++) {
      const { logProbs, state: next } = model.step(state!, feed);
      disposeState(state);
      state = next;
      feed.dispose();
      feed = tf.tidy(() => tf.cast(tf.argMax(logProbs, -1), "int32")); // [B]
      logProbs.dispose();
      feed.dataSync().forEach((id, i) => {
        if (finished[i]) return; // padded below
        outputs[i].push(id);
        if (id === model.eosId) finished[i] = true;
      });
    }
  } finally {
    disposeState(state);
    feed.dispose();
  }
  return padRows(outputs, maxLen, model.padId);
}

/** A hypothesis still being extended. */
interface Live {
  source: number;
  tokens: number[];
  logProb: number;
}

/** score = logProb / length^α: without it, every extra token lowers the score, so beam search prefers short outputs. */
function normalised(logProb: number, length: number, alpha: number): number {
  return logProb / Math.pow(length, alpha);
}

/**
 * Exercise 6.2: beam search. Each source keeps up to beamWidth hypotheses. At each step every
 * live hypothesis is extended by every token; a candidate's score is its hypothesis's log-
 * probability plus the token's (log space: sums, never products of probabilities). Per source
 * the best (beamWidth − finished so far) candidates survive: those ending in [EOS] are set
 * aside as finished (never extended again), the others stay live. A source is done when it has
 * beamWidth finished hypotheses or nothing live; at maxLen the still-live hypotheses join the
 * finished ones, marked unfinished. Finally each source's hypotheses are ranked by the length-
 * normalised score logProb / length^α (α = lengthPenalty, default 1; length counts [EOS]).
 *
 * The search starts from ONE hypothesis per source ([BOS] alone), not beamWidth copies of it
 * (copies would fill the beam with the same candidate). With beamWidth 1 this is exactly greedy
 * decoding. Ties between candidates go to the larger token log-probability, then the lower
 * token id (as tf.argMax does).
 *
 * model: a DecodingModel; src: [B, Tx] int32 → { tokens [B, maxLen] int32 (the best of each
 * source, laid out as greedyDecode's), hypotheses (per source, best first) }.
 */
export function beamSearch(model: DecodingModel, src: tf.Tensor, opts: BeamSearchOptions): BeamSearchResult {
  const fn = "beamSearch";
  checkModel(fn, model);
  const b = checkSrc(fn, src);
  if (typeof opts !== "object" || opts === null) throw new LabInputError(`${fn}: argument "opts" must be { beamWidth, maxLen, lengthPenalty? }, got ${describe(opts)}`);
  const beamWidth = requireInt(fn, "opts.beamWidth", opts.beamWidth, 1);
  const maxLen = requireInt(fn, "opts.maxLen", opts.maxLen, 1);
  const alpha = opts.lengthPenalty ?? 1;
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new LabInputError(`${fn}: argument "opts.lengthPenalty" must be a finite number, got ${describe(alpha)}`);

  const done: Hypothesis[][] = Array.from({ length: b }, () => []);
  const keep = (h: Live, finished: boolean) =>
    done[h.source].push({ tokens: h.tokens, logProb: h.logProb, score: normalised(h.logProb, h.tokens.length, alpha), finished });
  // Row r of the model's state continues hypothesis live[r].
  let live: Live[] = Array.from({ length: b }, (_, source) => ({ source, tokens: [], logProb: 0 }));
  let state: DecoderState | undefined = model.start(src);
  try {
    for (let t = 0; t < maxLen && live.length > 0; t++) {
      const feed = tf.tensor1d(live.map((h) => (h.tokens.length === 0 ? model.bosId : h.tokens[h.tokens.length - 1])), "int32");
      const { logProbs, state: stepped } = model.step(state!, feed);
      feed.dispose();
      disposeState(state);
      state = stepped;
      const lp = logProbs.arraySync() as number[][]; // [N, V]
      logProbs.dispose();

      // Candidates of each source: (row, token) pairs.
      const bySource = new Map<number, { row: number; token: number; score: number; step: number }[]>();
      live.forEach((h, row) => {
        const list = bySource.get(h.source) ?? [];
        lp[row].forEach((step, token) => list.push({ row, token, score: h.logProb + step, step }));
        bySource.set(h.source, list);
      });
      const next: Live[] = [];
      const parents: number[] = [];
      for (const [source, candidates] of bySource) {
        const room = beamWidth - done[source].length;
        candidates.sort((x, y) => y.score - x.score || y.step - x.step || x.row - y.row || x.token - y.token);
        for (const c of candidates.slice(0, room)) {
          const h: Live = { source, tokens: [...live[c.row].tokens, c.token], logProb: c.score };
          if (c.token === model.eosId) keep(h, true);
          else {
            next.push(h);
            parents.push(c.row);
          }
        }
      }
      live = next;
      const selected: DecoderState | undefined = parents.length > 0 ? model.selectRows(state, parents) : undefined;
      disposeState(state);
      state = selected;
    }
  } finally {
    disposeState(state);
  }
  for (const h of live) keep(h, false); // cut at maxLen
  for (const list of done) list.sort((x, y) => y.score - x.score);
  return { tokens: padRows(done.map((list) => list[0].tokens), maxLen, model.padId), hypotheses: done };
}

function checkSequence(fn: string, arg: string, s: unknown): readonly Token[] {
  if (typeof s === "string") return Array.from(s);
  if (!Array.isArray(s)) throw new LabInputError(`${fn}: argument "${arg}" must be an array of tokens (strings or numbers) or a string, got ${describe(s)}`);
  s.forEach((x, i) => {
    if (typeof x !== "string" && typeof x !== "number") throw new LabInputError(`${fn}: ${arg}[${i}] must be a token (a string or a number), got ${describe(x)}`);
  });
  return s;
}

/**
 * Exercise 6.3: the edit (Levenshtein) distance: the fewest insertions, deletions and
 * substitutions, each costing 1, that turn sequence a into sequence b. Tokens are compared
 * with ===. The distance from the empty sequence to b is b.length.
 *
 * a, b: arrays of tokens (["K", "AE", "T"] or ids), or strings (compared character by character).
 */
export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  const fn = "editDistance";
  const x = checkSequence(fn, "a", a);
  const y = checkSequence(fn, "b", b);
  // prev[j] = distance between the first i - 1 tokens of x and the first j tokens of y.
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitute = prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur.push(Math.min(substitute, prev[j] + 1, cur[j - 1] + 1)); // substitute/match, delete, insert
    }
    prev = cur;
  }
  return prev[y.length];
}

/**
 * Exercise 6.4: phoneme error rate of a set of predictions, the sum of their edit distances over
 * the sum of the reference lengths (not the mean of per-word rates: long words weigh more).
 * references[i] lists every correct pronunciation of word i; prediction i is scored against
 * the closest (fewest edits; on a tie, the first listed), whose length enters the denominator.
 *
 * predictions: one token array per word; references: for each word, one or more token arrays.
 */
export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  const fn = "phonemeErrorRate";
  if (!Array.isArray(predictions)) throw new LabInputError(`${fn}: argument "predictions" must be an array with one token array per word, got ${describe(predictions)}`);
  if (!Array.isArray(references)) throw new LabInputError(`${fn}: argument "references" must be an array with, per word, an array of pronunciations, got ${describe(references)}`);
  if (predictions.length !== references.length) {
    throw new LabInputError(`${fn}: ${predictions.length} predictions but ${references.length} references (one entry per word in each)`);
  }
  if (predictions.length === 0) throw new LabInputError(`${fn}: no words to score (predictions and references are empty)`);
  let edits = 0;
  let length = 0;
  predictions.forEach((p, i) => {
    const pred = checkSequence(fn, `predictions[${i}]`, p);
    const refs = references[i];
    if (!Array.isArray(refs) || refs.length === 0 || !refs.every((r) => Array.isArray(r))) {
      throw new LabInputError(`${fn}: references[${i}] must be a non-empty array of pronunciations (token arrays), e.g. [["R","EH","D"], ["R","IY","D"]], got ${describe(refs)}`);
    }
    let best = Infinity;
    let bestLength = 0;
    refs.forEach((r, j) => {
      const d = editDistance(pred, checkSequence(fn, `references[${i}][${j}]`, r));
      if (d < best) [best, bestLength] = [d, r.length];
    });
    edits += best;
    length += bestLength;
  });
  if (length === 0) throw new LabInputError(`${fn}: every closest reference is empty, so the rate (edits / reference length) is undefined`);
  return edits / length;
}
