/**
 * YOUR CODE for notebook 06 (encoder-decoder: decoding and scoring).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 6.1` (… 6.4).
 *
 * Decoding talks to a model only through the DecodingModel interface (lib/support/types.ts):
 *
 *   let state = model.start(src);                                  // encode once: one row per source
 *   const { logProbs, state: next } = model.step(state, tokens);   // tokens [N] int32 → logProbs [N, V]
 *   const copies = model.selectRows(next, [0, 0, 1]);              // rows copied, reordered or dropped
 *
 * The model never disposes what you pass it and always returns new tensors, so free each state
 * you have replaced with tf.dispose(Object.values(state)) (and the logProbs once read). Keep the
 * bookkeeping (which hypothesis is which, its tokens and score) in plain arrays.
 * Rules the grader checks: new tensors out, inputs untouched, no leaks, documented shapes, and
 * bad input rejected with an Error naming the function and the argument (lib/support/checks.ts
 * has requireTensor and requireInt).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { BeamSearchOptions, BeamSearchResult, DecodingModel, Token } from "./support/types";
// The types these functions take and return are defined once, in lib/support/types.ts.
export type { BeamSearchOptions, BeamSearchResult, DecoderState, DecoderStep, DecodingModel, Hypothesis, Token } from "./support/types";

/**
 * Exercise 6.1: greedy decoding. Start every row from model.bosId; at each step feed each row's
 * last token, take the most likely next token (the arg-max of the log-probabilities) and
 * append it. A row is finished once it has produced model.eosId; its later positions hold
 * model.padId. Stop after maxLen steps, or earlier once every row has finished.
 *
 * src: [B, Tx] int32 → [B, maxLen] int32: the tokens after [BOS], [EOS] included, then padId.
 * Bad input (throw naming greedyDecode): a model without start/step/selectRows, src not an int32
 * [B, Tx] tensor, maxLen not an integer >= 1.
 */
export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  return todo("6.1");
}

/**
 * Exercise 6.2: beam search. Each source keeps up to beamWidth hypotheses, starting from ONE
 * ([BOS] alone, log-probability 0). At each step, extend every live hypothesis by every token: a
 * candidate's log-probability is its hypothesis's plus the token's (add logs, never multiply
 * probabilities). Per source, keep the best (beamWidth − number finished so far) candidates:
 * those ending in [EOS] are set aside as finished and never extended again, the rest stay live.
 * A source is done when it has beamWidth finished hypotheses; at maxLen its live ones join
 * them with finished = false. Rank each source's hypotheses by the length-normalised score
 * logProb / length^α (α = opts.lengthPenalty, default 1; length counts the [EOS]).
 * Ties go to the larger token log-probability, then the lower token id, so that beamWidth 1
 * gives exactly greedyDecode's output.
 *
 * src: [B, Tx] int32 → { tokens: [B, maxLen] int32 (each source's best, laid out as
 * greedyDecode's), hypotheses: per source, every kept Hypothesis, best score first }.
 * Bad input (throw naming beamSearch): as greedyDecode, plus opts.beamWidth not an integer >= 1
 * and a lengthPenalty that is not a finite number.
 */
export function beamSearch(model: DecodingModel, src: tf.Tensor, opts: BeamSearchOptions): BeamSearchResult {
  return todo("6.2");
}

/**
 * Exercise 6.3: the edit (Levenshtein) distance between two sequences: the fewest insertions,
 * deletions and substitutions, each costing 1, that turn a into b. Tokens compare with ===.
 * editDistance([], b) is b.length. a, b: token arrays (["K", "AE", "T"] or ids) or strings.
 * Bad input (throw naming editDistance): anything that is not an array of strings/numbers or a string.
 */
export function editDistance(a: readonly Token[] | string, b: readonly Token[] | string): number {
  return todo("6.3");
}

/**
 * Exercise 6.4: phoneme error rate = (sum of the edit distances) / (sum of the reference
 * lengths) over all words, not the mean of per-word rates. references[i] lists every correct
 * pronunciation of word i: prediction i is scored against the closest one (fewest edits; on a
 * tie the first listed), and that one's length enters the denominator.
 * predictions: one token array per word; references: per word, an array of token arrays.
 * Bad input (throw naming phonemeErrorRate): different numbers of predictions and references, no
 * words, a word with no reference, or references that are all empty (the rate is undefined).
 */
export function phonemeErrorRate(predictions: readonly (readonly Token[])[], references: readonly (readonly (readonly Token[])[])[]): number {
  return todo("6.4");
}
