/**
 * `npm run bench -- g2p`: notebook 06's two models trained at the full budget, exactly as the
 * checkpoints are (`npm run train -- g2p`, `-- g2p-gru`: lib/support/tasks/g2p.ts), then scored
 * on the 5,825 held-out test words (closest-pronunciation PER and WER):
 *   - training CPU time (the budget: 15 minutes on one thread), wall time, tokens/s;
 *   - greedy decoding, and beam search with k = 1, 3, 5 (the reference solutions of exercises
 *     6.1 and 6.2): PER, WER, decoding time and phonemes/s;
 *   - WER by word length for both (the GRU's single context vector against attention);
 *   - whether the run reproduced the committed checkpoint's scores.
 * Targets: the Transformer reaches PER ≤ 12% and WER ≤ 45% (aim ≤ 35%) within the budget; both
 * models train within it; beam search with k = 1 equals greedy decoding on every word; the
 * support code's greedy decoder equals the reference greedyDecode; no tensors left behind.
 */
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/support/backend";
import { hasCheckpoint, readCheckpointMeta } from "../lib/support/checkpoints";
import {
  G2P_GRU_RECIPE, G2P_GRU_TASK, G2P_MAX_LEN, G2P_RECIPE, G2P_TASK, g2pData, G2pDecoder, G2pRecipe, G2pScores, G2pTaskModel, scoreG2p, trainG2p,
} from "../lib/support/tasks/g2p";
import type { Task } from "../lib/support/tasks";
import { beamSearch, greedyDecode } from "../solutions/decoding";
import { Benchmark, BenchRow } from "./harness";

/** The budget of the issue: 15 minutes of training on one CPU thread. */
export const G2P_BUDGET_SECONDS = 900;
export const G2P_TARGETS = { per: 12, wer: 45, aimWer: 35 };

const pct = (x: number) => 100 * x;

/** Phoneme ids before [EOS] of each row of a [B, maxLen] output. */
function untilEos(rows: number[][], eos: number, pad: number): number[][] {
  return rows.map((r) => {
    const end = r.indexOf(eos);
    return (end < 0 ? r : r.slice(0, end)).filter((v) => v !== pad);
  });
}

const referenceGreedy: G2pDecoder = (model, src, maxLen) => {
  const out = greedyDecode(model, src, maxLen);
  try {
    return untilEos(out.arraySync() as number[][], model.eosId, model.padId);
  } finally {
    out.dispose();
  }
};

const beam = (k: number): G2pDecoder => (model, src, maxLen) => {
  const r = beamSearch(model, src, { beamWidth: k, maxLen });
  r.tokens.dispose();
  return r.hypotheses.map((hs) => hs[0].tokens.filter((v) => v !== model.eosId));
};

/** Length bands for the WER-by-length rows. */
const BANDS: [number, number][] = [[1, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 99]];

function byBand(s: G2pScores): { band: string; words: number; wer: number }[] {
  return BANDS.map(([lo, hi]) => {
    const rows = s.byLength.filter((b) => b.letters >= lo && b.letters <= hi);
    const words = rows.reduce((n, b) => n + b.words, 0);
    return { band: hi >= 99 ? `${lo}+ letters` : `${lo}-${hi} letters`, words, wer: rows.reduce((n, b) => n + b.wer * b.words, 0) / Math.max(words, 1) };
  });
}

function differing(a: G2pScores, b: G2pScores): number {
  return a.predictions.filter((p, i) => p.prediction.join(",") !== b.predictions[i].prediction.join(",")).length;
}

async function benchModel(label: string, task: Task<G2pTaskModel<unknown>>, recipe: G2pRecipe, isTransformer: boolean): Promise<{ rows: BenchRow[]; greedy: G2pScores }> {
  const rows: BenchRow[] = [];
  const model = task.create();
  const name = `g2p ${label} (${(model.parameterCount() / 1e6).toFixed(2)}M parameters)`;
  try {
    console.log(`  training ${label}: ${recipe.steps} steps ...`);
    const r = await trainG2p(model, recipe, { log: (l) => console.log(`    ${l}`) });
    rows.push({
      name, variant: "training time (CPU, one thread)", value: r.seconds / 60, unit: "min",
      detail: `${r.steps} steps, wall ${(r.wallSeconds / 60).toFixed(1)} min, ${Math.round(r.tokens / r.seconds)} tokens/s (CPU), ${Math.round(r.tokens / r.wallSeconds)} tokens/s (wall)`,
      target: { op: "<=", value: G2P_BUDGET_SECONDS / 60 },
    });
    const test = g2pData().test;
    const greedy = scoreG2p(model.decoder, test);
    const fmt = (s: G2pScores) => `PER ${pct(s.per).toFixed(2)}%, decoding ${s.seconds.toFixed(1)} s CPU, ${Math.round(s.phonemesPerSecond)} phonemes/s`;
    rows.push({ name, variant: "test WER, greedy", value: pct(greedy.wer), unit: "%", detail: `${fmt(greedy)}${isTransformer ? `; aim ≤ ${G2P_TARGETS.aimWer}%` : ""}`, target: isTransformer ? { op: "<=", value: G2P_TARGETS.wer } : undefined });
    rows.push({ name, variant: "test PER, greedy", value: pct(greedy.per), unit: "%", target: isTransformer ? { op: "<=", value: G2P_TARGETS.per } : undefined });
    const ref = scoreG2p(model.decoder, test, { decoder: referenceGreedy });
    rows.push({ name, variant: "words where solutions' greedyDecode ≠ the task's greedy", value: differing(ref, greedy), unit: "", target: { op: "<=", value: 0 } });
    for (const k of [1, 3, 5]) {
      const s = scoreG2p(model.decoder, test, { decoder: beam(k), batchSize: 128 });
      rows.push({ name, variant: `test WER, beam k=${k}`, value: pct(s.wer), unit: "%", detail: fmt(s) });
      if (k === 1) rows.push({ name, variant: "words where beam k=1 ≠ greedy", value: differing(s, greedy), unit: "", target: { op: "<=", value: 0 } });
    }
    for (const b of byBand(greedy)) rows.push({ name, variant: `test WER by length, ${b.band}`, value: pct(b.wer), unit: "%", detail: `${b.words} words` });
    if (hasCheckpoint(task.name)) {
      const meta = readCheckpointMeta(task.name);
      const now = task.evaluate(model);
      const same = Object.entries(meta.metrics).every(([k, v]) => Math.abs(now[k] - v) <= 1e-9);
      rows.push({
        name, variant: "reproduces the committed checkpoint's scores", value: same ? 1 : 0, unit: same ? "(yes)" : "(no)",
        detail: Object.entries(meta.metrics).map(([k, v]) => `${k} ${pct(v).toFixed(2)}% vs ${pct(now[k]).toFixed(2)}%`).join(", "),
      });
    }
    return { rows, greedy };
  } finally {
    model.dispose();
  }
}

export const g2pBenchmark: Benchmark = {
  name: "g2p",
  async run(): Promise<BenchRow[]> {
    await setupBackend("wasm", { quiet: true });
    g2pData();
    const before = tf.memory().numTensors;
    const t = await benchModel("Transformer", G2P_TASK as unknown as Task<G2pTaskModel<unknown>>, G2P_RECIPE, true);
    const g = await benchModel("GRU, fixed context", G2P_GRU_TASK as unknown as Task<G2pTaskModel<unknown>>, G2P_GRU_RECIPE, false);
    const rows = [...t.rows, ...g.rows];
    // The GRU's disadvantage grows with length: WER gap between the longest and shortest bands.
    const gap = (s: G2pScores) => {
      const b = byBand(s);
      return pct(b[b.length - 1].wer - b[1].wer);
    };
    rows.push({ name: "g2p GRU vs Transformer", variant: "WER rise from 5-6 to 13+ letters", value: gap(g.greedy), unit: "points", detail: `Transformer ${gap(t.greedy).toFixed(1)} points; max decode length ${G2P_MAX_LEN}` });
    rows.push({ name: "g2p", variant: "tensors left after both models", value: tf.memory().numTensors - before, unit: "", target: { op: "<=", value: 0 } });
    return rows;
  },
};
