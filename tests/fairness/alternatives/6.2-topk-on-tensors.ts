/**
 * @planted alternative
 * @exercise 6.2
 * @style candidate scores as a tensor (log-probabilities plus each row's score, broadcast), tf.topk per source over the flattened [rows × V] scores, one [BOS] per source, requireInt checks
 * @near probabilities-not-logs
 * @near normalise-unfinished-only
 * @near beam-of-copies
 */
import * as tf from "@tensorflow/tfjs";
import { requireInt } from "../../../lib/support/checks";
import type { BeamSearchOptions, BeamSearchResult, DecoderState, DecodingModel, Hypothesis } from "../../../lib/support/types";

export function beamSearch(model: DecodingModel, src: tf.Tensor, opts: BeamSearchOptions): BeamSearchResult {
  const k = requireInt("beamSearch", "beamWidth", opts.beamWidth, 1);
  const maxLen = requireInt("beamSearch", "maxLen", opts.maxLen, 1);
  const alpha = opts.lengthPenalty ?? 1;
  const b = src.shape[0];
  const v = model.vocabSize;
  const results: Hypothesis[][] = Array.from({ length: b }, () => []);
  let sources = Array.from({ length: b }, (_, s) => s);
  let prefixes: number[][] = sources.map(() => []);
  let scores = sources.map(() => 0);
  let state: DecoderState = model.start(src);
  for (let t = 0; t < maxLen && sources.length > 0; t++) {
    const feed = tf.tensor1d(prefixes.map((p) => (p.length ? p[p.length - 1] : model.bosId)), "int32");
    const { logProbs, state: next } = model.step(state, feed);
    tf.dispose([feed, ...Object.values(state)]);
    state = next;
    const nSources: number[] = [];
    const nPrefixes: number[][] = [];
    const nScores: number[] = [];
    const parents: number[] = [];
    for (const s of [...new Set(sources)]) {
      const rows = sources.map((x, i) => (x === s ? i : -1)).filter((i) => i >= 0);
      const room = k - results[s].length;
      const { values, indices } = tf.tidy(() => {
        const lp = tf.gather(logProbs, tf.tensor1d(rows, "int32"));
        const total = tf.add(lp, tf.tensor2d(rows.map((r) => [scores[r]]), [rows.length, 1]));
        return tf.topk(tf.reshape(total, [-1]), Math.min(room, rows.length * v));
      });
      const vals = values.arraySync() as number[];
      const idx = indices.arraySync() as number[];
      tf.dispose([values, indices]);
      idx.forEach((flat, j) => {
        const row = rows[Math.floor(flat / v)];
        const token = flat % v;
        const tokens = [...prefixes[row], token];
        if (token === model.eosId) results[s].push({ tokens, logProb: vals[j], score: vals[j] / tokens.length ** alpha, finished: true });
        else {
          nSources.push(s);
          nPrefixes.push(tokens);
          nScores.push(vals[j]);
          parents.push(row);
        }
      });
    }
    logProbs.dispose();
    if (parents.length > 0) {
      const picked = model.selectRows(state, parents);
      tf.dispose(Object.values(state));
      state = picked;
    }
    [sources, prefixes, scores] = [nSources, nPrefixes, nScores];
  }
  tf.dispose(Object.values(state));
  sources.forEach((s, i) => results[s].push({ tokens: prefixes[i], logProb: scores[i], score: scores[i] / prefixes[i].length ** alpha, finished: false }));
  results.forEach((list) => list.sort((x, y) => y.score - x.score));
  const best = results.map((list) => [...list[0].tokens, ...new Array(maxLen - list[0].tokens.length).fill(model.padId)]);
  return { tokens: tf.tensor2d(best, [b, maxLen], "int32"), hypotheses: results };
}
