/**
 * Graded checks for lib/decoding.ts: exercises 6.1 greedyDecode (15), 6.2 beamSearch (30),
 * 6.3 editDistance (10) and 6.4 phonemeErrorRate (10).
 *
 * Decoding is checked on a table model: a DecodingModel whose next-token distribution is a fixed
 * pseudo-random function of (source id, prefix so far), so every output's probability is known
 * and no training is involved. Its special ids are parameters, so a decoder that hard-codes
 * [BOS] / [EOS] / [PAD] shows up. It counts its own steps (outside the model object, so the
 * contract checks see an unchanged argument).
 *
 * The scores return numbers; their checks wrap them into tensors (one entry per case) so that
 * the comparison and the misconception matching work on them as on any other result.
 */
import * as tf from "@tensorflow/tfjs";
import { CheckFailure, describeValue, expectResultClose } from "../../../grader/compare";
import type { Check } from "../../../grader/types";
import { badInputCheck, contractChecks, shapeDtypeCheck, valueCheck } from "../../../grader/builders";
import type { BeamSearchResult, DecoderState, DecodingModel, Token } from "../../../lib/support/types";
import { checkStepTokens } from "../../../lib/support/models/decoding";

export type { DecodingModule } from "../../../grader/types";
import type { DecodingModule } from "../../../grader/types";
type M = DecodingModule;

// ---------------------------------------------------------------------------------------------
// The table model

export interface TableSpec {
  /** Output vocabulary size (the special ids below are among its ids). */
  vocabSize: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** Added to [EOS]'s logit, plus 0.4 per token already produced: larger ends outputs sooner. */
  eosBias: number;
}

export const DEFAULT_TABLE: TableSpec = { vocabSize: 7, bosId: 1, eosId: 2, padId: 0, eosBias: 0 };

/** Seeded numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return (a >>> 8) / 16777216;
  };
}

/**
 * log P(next | source, prefix): each (source, prefix) has its own distribution over [EOS] and the
 * content tokens; [BOS] and [PAD] get almost none (distinct logits, so no ties).
 */
export function tableLogProbs(spec: TableSpec, source: number, prefix: readonly number[]): number[] {
  const key = prefix.reduce((h, t) => (Math.imul(h, 31) + t + 1) >>> 0, Math.imul(source, 7919) + 1);
  const r = lcg(key);
  r();
  const logits = Array.from({ length: spec.vocabSize }, (_, v) =>
    v === spec.padId ? -30 : v === spec.bosId ? -31 : 3 * r() + (v === spec.eosId ? spec.eosBias + prefix.length * 0.4 : 0),
  );
  const m = Math.max(...logits);
  const z = Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0)) + m;
  return logits.map((l) => l - z);
}

const counts = new WeakMap<object, { steps: number; wasted: number }>();

/**
 * How many times model.step has been called on a table model, and how many of those calls were
 * wasted: every row fed had already finished (its fed tokens after [BOS] hold eosId or padId).
 */
export function stepCount(model: DecodingModel): { steps: number; wasted: number } {
  return { ...(counts.get(model) ?? { steps: 0, wasted: 0 }) };
}

/**
 * A DecodingModel over tableLogProbs. The state holds each row's source id (the first token of
 * its source row) and every token fed so far ([N, t] int32; column 0 is a -1 placeholder).
 */
export function tableModel(spec: Partial<TableSpec> = {}): DecodingModel {
  const s: TableSpec = { ...DEFAULT_TABLE, ...spec };
  const model: DecodingModel = {
    bosId: s.bosId,
    eosId: s.eosId,
    padId: s.padId,
    vocabSize: s.vocabSize,
    start(src: tf.Tensor): DecoderState {
      return tf.tidy(() => ({ source: tf.reshape(tf.slice(src, [0, 0], [-1, 1]), [-1]), prefix: tf.fill([src.shape[0], 1], -1, "int32") }));
    },
    step(state: DecoderState, tokens: tf.Tensor) {
      if (!state || !(state.source instanceof tf.Tensor) || state.source.isDisposed || !(state.prefix instanceof tf.Tensor) || state.prefix.isDisposed) {
        throw new Error("step: the state must be the live object of tensors that start, step or selectRows returned (was it disposed?)");
      }
      checkStepTokens("step", tokens, state.source.shape[0]);
      const sources = state.source.arraySync() as number[];
      const prefixes = state.prefix.arraySync() as number[][];
      const fed = tokens.arraySync() as number[];
      const next = prefixes.map((p, i) => [...p, fed[i]]);
      const c = stepCount(model);
      const finished = next.every((p) => p.slice(2).some((t) => t === s.eosId || t === s.padId));
      counts.set(model, { steps: c.steps + 1, wasted: c.wasted + (finished ? 1 : 0) });
      const lp = sources.map((src, i) => tableLogProbs(s, src, next[i].slice(2))); // the tokens after [BOS]
      return {
        logProbs: tf.tensor2d(lp, [lp.length, s.vocabSize]),
        state: { source: tf.clone(state.source), prefix: tf.tensor2d(next, [next.length, next[0].length], "int32") },
      };
    },
    selectRows(state: DecoderState, rows: readonly number[]): DecoderState {
      return tf.tidy(() => {
        const i = tf.tensor1d(rows as number[], "int32");
        return { source: tf.gather(state.source, i), prefix: tf.gather(state.prefix, i) };
      });
    },
  };
  // The one setting the fields above do not show, visible to the student edition's recorder
  // (grader/reference.ts keys a reference call by its inputs, a model by its fields and code).
  Object.defineProperty(model, "eosBias", { value: s.eosBias, enumerable: true });
  return model;
}

/** Sources [B, 2] int32 whose first column picks the table's distributions. */
export function tableSources(ids: readonly number[]): tf.Tensor {
  return tf.tensor2d(ids.map((s) => [s, 9]), [ids.length, 2], "int32");
}

// ---------------------------------------------------------------------------------------------
// 6.1 greedyDecode

type GreedyArgs = { model: DecodingModel; src: tf.Tensor; maxLen: number };
const greedyCall = (m: M, a: GreedyArgs): unknown => m.greedyDecode(a.model, a.src, a.maxLen);
const greedyArgs = (ids: number[], maxLen: number, spec: Partial<TableSpec> = {}) => (): GreedyArgs => ({ model: tableModel(spec), src: tableSources(ids), maxLen });

/** Five sources whose greedy outputs end after 1 to 4 tokens. */
const GREEDY_SOURCES = [3, 11, 42, 5, 17];

export const GREEDY_CHECKS: readonly Check<M>[] = [
  valueCheck({ exercise: "6.1", name: "values: 5 sources finishing at different steps, padId after [EOS] (maxLen 8)", points: 3, inputs: greedyArgs(GREEDY_SOURCES, 8, { eosBias: 0.3 }), call: greedyCall }),
  valueCheck({ exercise: "6.1", name: "values: rows that never produce [EOS] are cut at maxLen 3", points: 2, inputs: greedyArgs([3, 4, 6], 3, { eosBias: -20 }), call: greedyCall }),
  valueCheck({
    exercise: "6.1",
    name: "values: a model with other special ids (bosId 4, eosId 0, padId 5)",
    points: 2,
    inputs: greedyArgs(GREEDY_SOURCES, 8, { bosId: 4, eosId: 0, padId: 5, eosBias: 0.3 }),
    call: greedyCall,
  }),
  valueCheck({
    exercise: "6.1",
    name: "stops once every row has finished (no model.step call in which every row has already produced [EOS])",
    points: 2,
    inputs: greedyArgs([8, 9, 10], 12, { eosBias: 1.5 }),
    call: (m: M, a: GreedyArgs) => {
      const before = stepCount(a.model).wasted;
      const tokens = m.greedyDecode(a.model, a.src, a.maxLen);
      return { tokens, wastedSteps: tf.scalar(stepCount(a.model).wasted - before, "int32") };
    },
    judge: (got, expected) => {
      const g = got as { tokens: unknown; wastedSteps: tf.Tensor };
      expectResultClose("output", g.tokens, (expected as { tokens: tf.Tensor }).tokens);
      const wasted = g.wastedSteps.dataSync()[0];
      if (wasted > 0) {
        throw new CheckFailure(
          "greedyDecode kept calling model.step after every row had produced [EOS]: stop as soon as all rows have finished (later steps only cost time)",
          `${wasted} wasted step(s), maxLen 12`,
        );
      }
    },
  }),
  shapeDtypeCheck({ exercise: "6.1", name: "output [B, maxLen] int32", points: 1, inputs: greedyArgs([3, 11], 6, { eosBias: 0.3 }), call: greedyCall }),
  ...contractChecks<M, GreedyArgs>({
    exercise: "6.1",
    call: greedyCall,
    forms: [
      { label: "3 sources, maxLen 6", inputs: greedyArgs([3, 4, 5], 6, { eosBias: 0.3 }) },
      { label: "1 source, maxLen 4", inputs: greedyArgs([7], 4) },
    ],
    points: { leaks: 2, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "6.1",
    name: "maxLen 0 and float sources raise an error naming greedyDecode and the argument",
    points: 1,
    cases: [
      { describe: "model, src [2,2] int32, maxLen 0", call: (m) => m.greedyDecode(tableModel(), tableSources([3, 4]), 0), mention: [/maxLen/], mentionText: "maxLen" },
      { describe: "model, src [2,3] float32, maxLen 5", call: (m) => m.greedyDecode(tableModel(), tf.zeros([2, 3]), 5), mention: [/src/], mentionText: "the argument src" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 6.2 beamSearch

type BeamArgs = { model: DecodingModel; src: tf.Tensor; opts: { beamWidth: number; maxLen: number; lengthPenalty?: number } };

/**
 * beamSearch's result as tensors, for the comparison: the best outputs, how many hypotheses each
 * source kept, and every hypothesis (sources one after the other, best first) with its tokens
 * (padded with padId to maxLen), log-probability, score and finished flag.
 */
function beamSummary(r: unknown, maxLen: number, padId: number): unknown {
  const res = r as BeamSearchResult;
  if (res === null || typeof res !== "object" || !Array.isArray(res.hypotheses) || !res.hypotheses.every((h) => Array.isArray(h))) {
    throw new CheckFailure("beamSearch must return { tokens, hypotheses } with, per source, an array of hypotheses", `got ${describeValue(r)}`);
  }
  const all = res.hypotheses.flat();
  if (!all.every((h) => h && Array.isArray(h.tokens) && typeof h.logProb === "number" && typeof h.score === "number" && typeof h.finished === "boolean")) {
    throw new CheckFailure("each hypothesis must be { tokens: number[], logProb: number, score: number, finished: boolean }");
  }
  const rows = all.map((h) => Array.from({ length: maxLen }, (_, i) => (i < h.tokens.length ? h.tokens[i] : padId)));
  return {
    tokens: res.tokens,
    hypothesesPerSource: tf.tensor1d(res.hypotheses.map((h) => h.length), "int32"),
    hypothesisTokens: all.length > 0 ? tf.tensor2d(rows, [rows.length, maxLen], "int32") : tf.zeros([0, maxLen], "int32"),
    logProb: tf.tensor1d(all.map((h) => h.logProb)),
    score: tf.tensor1d(all.map((h) => h.score)),
    finished: tf.tensor1d(all.map((h) => (h.finished ? 1 : 0)), "int32"),
  };
}

const beamCall = (m: M, a: BeamArgs): unknown => beamSummary(m.beamSearch(a.model, a.src, a.opts), a.opts.maxLen, a.model.padId);
const beamRaw = (m: M, a: BeamArgs): unknown => m.beamSearch(a.model, a.src, a.opts);
const beamArgs = (ids: number[], opts: BeamArgs["opts"], spec: Partial<TableSpec> = {}) => (): BeamArgs => ({ model: tableModel(spec), src: tableSources(ids), opts });
const beamValues = (name: string, points: number, inputs: () => BeamArgs) => valueCheck({ exercise: "6.2", name, points, inputs, call: beamCall });

const BEAM_SOURCES = [3, 11, 42, 5];

export const BEAM_CHECKS: readonly Check<M>[] = [
  beamValues("values: beamWidth 1 is greedy decoding (4 sources, maxLen 8)", 3, beamArgs(BEAM_SOURCES, { beamWidth: 1, maxLen: 8 }, { eosBias: 0.3 })),
  beamValues("values: beamWidth 3, default lengthPenalty (α = 1): best outputs and every kept hypothesis", 7, beamArgs(BEAM_SOURCES, { beamWidth: 3, maxLen: 9 }, { eosBias: 0.3 })),
  beamValues("values: beamWidth 4, lengthPenalty 0 (raw log-probability)", 4, beamArgs(BEAM_SOURCES, { beamWidth: 4, maxLen: 9, lengthPenalty: 0 }, { eosBias: 0.3 })),
  beamValues("values: beamWidth 3, lengthPenalty 0.6, maxLen 4 cuts some hypotheses", 4, beamArgs([6, 7, 8], { beamWidth: 3, maxLen: 4, lengthPenalty: 0.6 }, { eosBias: -0.5 })),
  beamValues("values: beamWidth 2, other special ids (bosId 4, eosId 0, padId 5)", 3, beamArgs([9, 10, 12], { beamWidth: 2, maxLen: 8 }, { bosId: 4, eosId: 0, padId: 5, eosBias: 0.3 })),
  shapeDtypeCheck({ exercise: "6.2", name: "tokens [B, maxLen] int32", points: 1, inputs: beamArgs([3, 11], { beamWidth: 2, maxLen: 6 }, { eosBias: 0.3 }), call: (m: M, a: BeamArgs) => ({ tokens: (m.beamSearch(a.model, a.src, a.opts) as BeamSearchResult)?.tokens }) }),
  ...contractChecks<M, BeamArgs>({
    exercise: "6.2",
    call: beamRaw,
    forms: [
      { label: "3 sources, beamWidth 3, maxLen 6", inputs: beamArgs([3, 4, 5], { beamWidth: 3, maxLen: 6 }, { eosBias: 0.3 }) },
      { label: "1 source, beamWidth 1, maxLen 4, lengthPenalty 0", inputs: beamArgs([7], { beamWidth: 1, maxLen: 4, lengthPenalty: 0 }) },
    ],
    points: { leaks: 3, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "6.2",
    name: "beamWidth 0 or -2 and maxLen 0 raise an error naming beamSearch and the option",
    points: 3,
    cases: [
      { describe: "beamWidth 0", call: (m) => m.beamSearch(tableModel(), tableSources([3]), { beamWidth: 0, maxLen: 5 }), mention: [/beamWidth/], mentionText: "beamWidth" },
      { describe: "beamWidth -2", call: (m) => m.beamSearch(tableModel(), tableSources([3]), { beamWidth: -2, maxLen: 5 }), mention: [/beamWidth/], mentionText: "beamWidth" },
      { describe: "maxLen 0", call: (m) => m.beamSearch(tableModel(), tableSources([3]), { beamWidth: 2, maxLen: 0 }), mention: [/maxLen/], mentionText: "maxLen" },
    ],
  }),
];

// ---------------------------------------------------------------------------------------------
// 6.3 editDistance

type Seq = readonly Token[] | string;
type EditArgs = { pairs: (readonly [Seq, Seq])[] };

/** A number the student's function returned, checked: anything else fails with what it was. */
function requireNumber(fn: string, v: unknown): number {
  if (typeof v !== "number") throw new CheckFailure(`${fn} must return a number, got ${describeValue(v)}`);
  return v;
}

/** One distance per pair, as a tensor (entry i: pair i). */
const editCall = (m: M, a: EditArgs): unknown => tf.tensor1d(a.pairs.map(([x, y]) => requireNumber("editDistance", m.editDistance(x, y))));
const ph = (s: string): string[] => (s === "" ? [] : s.split(" "));
const pairs = (...ps: [Seq, Seq][]): EditArgs => ({ pairs: ps });

export const EDIT_CHECKS: readonly Check<M>[] = [
  valueCheck({
    exercise: "6.3",
    name: "values: phoneme sequences needing substitutions, insertions and deletions",
    points: 3,
    inputs: () =>
      pairs(
        [ph("R EH D"), ph("R IY D")],
        [ph("K AE T"), ph("K AE T S")],
        [ph("HH AH L OW"), ph("HH L OW")],
        [ph("F OW N IY M"), ph("F AH N EH M IH K")],
        [ph("S IH T"), ph("T IH S")],
        [ph("AA B K"), ph("B K AA")],
        [ph("AE K S"), ph("AE S K")],
      ),
    call: editCall,
  }),
  valueCheck({
    exercise: "6.3",
    name: "values: the empty sequence on either side",
    points: 2,
    inputs: () => pairs([[], ph("K AE T")], [ph("D AO G Z"), []], [[], []], [[], ph("AH")]),
    call: editCall,
  }),
  valueCheck({ exercise: "6.3", name: "values: strings, character by character", points: 1, inputs: () => pairs(["kitten", "sitting"], ["flaw", "lawn"], ["", "abc"], ["same", "same"]), call: editCall }),
  valueCheck({
    exercise: "6.3",
    name: "values: 30 seeded random id sequences (lengths 0-7)",
    points: 1,
    inputs: () => {
      const r = lcg(631);
      const seq = () => Array.from({ length: Math.floor(r() * 8) }, () => 3 + Math.floor(r() * 4));
      return pairs(...Array.from({ length: 30 }, (): [Seq, Seq] => [seq(), seq()]));
    },
    call: editCall,
  }),
  ...contractChecks<M, EditArgs>({
    exercise: "6.3",
    call: editCall,
    forms: [
      { label: "phoneme arrays", inputs: () => pairs([ph("R EH D"), ph("R IY D Z")]) },
      { label: "strings", inputs: () => pairs(["kitten", "sitting"]) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
];

// ---------------------------------------------------------------------------------------------
// 6.4 phonemeErrorRate

type PerArgs = { predictions: Token[][]; references: Token[][][] };
/**
 * The rate over all the words, then over each word alone (entry 0: all words; entry i: word i):
 * several numbers per check, so a wrong denominator or averaging shows as more than one scale factor.
 */
const perCall = (m: M, a: PerArgs): unknown =>
  tf.tensor1d([
    requireNumber("phonemeErrorRate", m.phonemeErrorRate(a.predictions, a.references)),
    ...(a.predictions.length > 1 ? a.predictions.map((p, i) => requireNumber("phonemeErrorRate", m.phonemeErrorRate([p], [a.references[i]]))) : []),
  ]);
const words = (preds: string[], refs: string[][]) => (): PerArgs => ({ predictions: preds.map(ph), references: refs.map((r) => r.map(ph)) });

export const PER_CHECKS: readonly Check<M>[] = [
  valueCheck({
    exercise: "6.4",
    name: "values: words of different lengths, one pronunciation each",
    points: 2,
    inputs: words(["R IH D", "HH AH L OW Z", "K AE", "IH N T ER N AE SH AH N AH L"], [["R IY D"], ["HH AH L OW Z"], ["K AE T"], ["IH N T ER N AE SH AH N AH L"]]),
    call: perCall,
  }),
  valueCheck({
    exercise: "6.4",
    name: "values: several pronunciations per word (the closest one counts, with its own length)",
    points: 3,
    inputs: words(
      ["R IY D", "T AH M EY T OW", "AE N D", "L IY V Z"],
      [["R EH D Z Z", "R IY D"], ["T AH M AA T OW", "T AH M EY T OW"], ["AE N D", "AH N D", "AH N"], ["L IH V Z", "L AY V Z IH"]],
    ),
    call: perCall,
  }),
  valueCheck({ exercise: "6.4", name: "values: an empty prediction counts every reference phoneme as an edit", points: 1, inputs: words(["", "K AE T"], [["D AO G"], ["K AE T"]]), call: perCall }),
  ...contractChecks<M, PerArgs>({
    exercise: "6.4",
    call: perCall,
    forms: [
      { label: "one pronunciation per word", inputs: words(["R IH D", "K AE"], [["R IY D"], ["K AE T"]]) },
      { label: "several pronunciations per word", inputs: words(["R IY D"], [["R EH D", "R IY D"]]) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<M>({
    exercise: "6.4",
    name: "2 predictions with 3 references raise an error naming phonemeErrorRate and both counts",
    points: 1,
    cases: [
      {
        describe: "2 predictions, 3 references",
        call: (m) => m.phonemeErrorRate([ph("K AE T"), ph("D AO G")], [[ph("K AE T")], [ph("D AO G")], [ph("AH")]]),
        mention: [/\b2\b/, /\b3\b/],
        mentionText: "the numbers of predictions (2) and references (3)",
      },
    ],
  }),
];
