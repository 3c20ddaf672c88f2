/**
 * @planted mutant
 * @exercise 6.2
 * @bug reads the log-probabilities with arraySync but never disposes them
 * @category leaks
 * @feedback beamSearch leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import type { BeamSearchOptions, BeamSearchResult, DecoderState, DecodingModel, Hypothesis } from "../../../lib/support/types";

interface Beam {
  source: number;
  tokens: number[];
  logProb: number;
}

export function beamSearch(model: DecodingModel, src: tf.Tensor, opts: BeamSearchOptions): BeamSearchResult {
  const { beamWidth, maxLen } = opts;
  if (!Number.isInteger(beamWidth) || beamWidth < 1) throw new Error(`beamSearch: beamWidth must be an integer >= 1, got ${beamWidth}`);
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`beamSearch: maxLen must be an integer >= 1, got ${maxLen}`);
  const alpha = opts.lengthPenalty ?? 1;
  const b = src.shape[0];
  const kept: Hypothesis[][] = Array.from({ length: b }, () => []);
  const finish = (h: Beam, finished: boolean) => kept[h.source].push({ tokens: h.tokens, logProb: h.logProb, score: h.logProb / Math.pow(h.tokens.length, alpha), finished });
  let beams: Beam[] = [];
  for (let s = 0; s < b; s++) beams.push({ source: s, tokens: [], logProb: 0 });
  let state: DecoderState | undefined = model.start(src);
  for (let t = 0; t < maxLen && beams.length > 0; t++) {
    const feed = tf.tensor1d(beams.map((h) => (h.tokens.length === 0 ? model.bosId : h.tokens[h.tokens.length - 1])), "int32");
    const out = model.step(state!, feed);
    feed.dispose();
    tf.dispose(Object.values(state!));
    state = out.state;
    const lp = out.logProbs.arraySync() as number[][];
    
    const next: Beam[] = [];
    const parents: number[] = [];
    for (let s = 0; s < b; s++) {
      const cands: { row: number; token: number; logProb: number; step: number }[] = [];
      beams.forEach((h, row) => {
        if (h.source === s) lp[row].forEach((step, token) => cands.push({ row, token, logProb: h.logProb + step, step }));
      });
      cands.sort((x, y) => y.logProb - x.logProb || y.step - x.step || x.row - y.row || x.token - y.token);
      for (const c of cands.slice(0, beamWidth - kept[s].length)) {
        const h: Beam = { source: s, tokens: [...beams[c.row].tokens, c.token], logProb: c.logProb };
        if (c.token === model.eosId) finish(h, true);
        else {
          next.push(h);
          parents.push(c.row);
        }
      }
    }
    beams = next;
    const picked: DecoderState | undefined = parents.length > 0 ? model.selectRows(state, parents) : undefined;
    tf.dispose(Object.values(state));
    state = picked;
  }
  if (state) tf.dispose(Object.values(state));
  for (const h of beams) finish(h, false);
  for (const list of kept) list.sort((x, y) => y.score - x.score);
  const rows = kept.map((list) => {
    const best = list[0].tokens;
    return Array.from({ length: maxLen }, (_, i) => (i < best.length ? best[i] : model.padId));
  });
  return { tokens: tf.tensor2d(rows, [b, maxLen], "int32"), hypotheses: kept };
}
