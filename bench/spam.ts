/**
 * `npm run bench -- spam`: notebook 04 at the full budget of its committed checkpoints
 * (lib/support/tasks/spam.ts, SPAM_RECIPE), on the fixed SpamAssassin split (bodies only, exact
 * duplicates removed; 4,560 / 570 / 569):
 *   1. MLM pre-training of the encoder on the training bodies, then fine-tuning on spam vs ham;
 *   2. the same fine-tuning from random weights (no pre-training, same budget);
 *   3. the bag-of-words logistic regression baseline (tfjs), and the same model fitted to its
 *      optimum by PyTorch's L-BFGS (bench/pytorch/spam_baseline.py) when python3-torch exists;
 *   4. the fine-tuned model run through the reference exercise functions (the plain path a
 *      student's code takes) must classify the test set exactly as the fast path does.
 * Target: the pre-trained Transformer's test accuracy >= 97%. Times are CPU seconds of this
 * process (wall time beside them): other programs on a shared machine inflate wall time only.
 */
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/support/backend";
import { BertBlocks, copyBertWeights, createBert, disposeBert } from "../lib/support/models/bert";
import * as bow from "../lib/support/models/bow";
import { countParameters } from "../lib/support/models/params";
import { evaluateSpam, fineTuneSpam, mlmValidation, pretrainMlm, SPAM_BERT_CONFIG, SPAM_RECIPE, spamBaseline, SpamEvaluation, spamSplits } from "../lib/support/tasks/spam";
import { classifierHead, clsPool, encoderForward } from "../solutions/bert";
import { layerNorm } from "../solutions/blocks";
import { Benchmark, BenchRow } from "./harness";
import { PythonPeer, torchVersion } from "./peer";

export const SPAM_TARGET_ACCURACY = 0.97;
const blocks: BertBlocks = { encoderForward, clsPool, classifierHead, layerNorm };

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; cpu: number; wall: number }> {
  const c0 = cpuSeconds();
  const w0 = Date.now();
  const value = await f();
  return { value, cpu: cpuSeconds() - c0, wall: (Date.now() - w0) / 1000 };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const confusion = (e: SpamEvaluation) => `ham→spam ${e.confusion[0][1]}, spam→ham ${e.confusion[1][0]}`;

/** The sparse rows of texts' bag-of-words features, for the PyTorch peer. */
function sparseRows(vocab: bow.BowVocabulary, texts: string[]): [number[], number[]][] {
  const f = bow.bowFeatures(vocab, texts);
  const ids = f.ids.arraySync() as number[][];
  const values = f.values.arraySync() as number[][];
  bow.disposeBowFeatures(f);
  return ids.map((row, r) => {
    const keep = row.map((_, j) => j).filter((j) => values[r][j] > 0);
    return [keep.map((j) => row[j]), keep.map((j) => values[r][j])];
  });
}

export const spamBenchmark: Benchmark = {
  name: "spam",
  async run(): Promise<BenchRow[]> {
    await setupBackend("wasm", { quiet: true });
    const before = tf.memory().numTensors;
    const rows: BenchRow[] = [];
    const tokenize = await timed(() => spamSplits());
    const s = tokenize.value;
    const cut = s.train.tokens.filter((t) => t.length > SPAM_BERT_CONFIG.context - 2).length;
    const { mlm, fineTune } = SPAM_RECIPE;
    const model = `BERT d=${SPAM_BERT_CONFIG.d} h=${SPAM_BERT_CONFIG.numHeads} N=${SPAM_BERT_CONFIG.numLayers} T=${SPAM_BERT_CONFIG.context}`;

    // 1. Pre-training, then fine-tuning.
    const pre = createBert(SPAM_BERT_CONFIG, 1);
    const parameters = countParameters([pre.encoder, pre.classifier]);
    console.log(`  ${model}: ${parameters} parameters (encoder + classifier); ${cut} of ${s.train.tokens.length} training messages cut to ${SPAM_BERT_CONFIG.context} tokens (head + tail)`);
    const pretrain = await timed(() => pretrainMlm(pre, { seed: 1 }));
    const mlmVal = mlmValidation(pre);
    const tuned = createBert(SPAM_BERT_CONFIG, 1);
    copyBertWeights(pre, tuned, ["encoder"]);
    const tune = await timed(() => fineTuneSpam(tuned, { seed: 1 }));
    const preTest = evaluateSpam("fast", tuned, "test");
    const preVal = evaluateSpam("fast", tuned, "val");

    // 2. The same fine-tuning from random weights.
    const scratch = createBert(SPAM_BERT_CONFIG, 1);
    const scratchTune = await timed(() => fineTuneSpam(scratch, { seed: 1 }));
    const scratchTest = evaluateSpam("fast", scratch, "test");
    const scratchVal = evaluateSpam("fast", scratch, "val");

    // 3. The baseline.
    const base = await timed(() => spamBaseline());
    const baseline = base.value;

    // 4. The plain path (the reference exercise functions) on the fine-tuned weights.
    const plain = await timed(() => evaluateSpam(blocks, tuned, "test"));
    const differ = plain.value.predictions.filter((p, i) => p !== preTest.predictions[i]).length;

    const name = `spam (test ${s.test.labels.length} msgs)`;
    rows.push(
      { name, variant: `${model}, MLM pre-trained + fine-tuned: test accuracy`, value: preTest.accuracy, unit: "", detail: `val ${pct(preVal.accuracy)}; ${confusion(preTest)}`, target: { op: ">=", value: SPAM_TARGET_ACCURACY } },
      { name, variant: `${model}, fine-tuned without pre-training: test accuracy`, value: scratchTest.accuracy, unit: "", detail: `val ${pct(scratchVal.accuracy)}; ${confusion(scratchTest)}` },
      { name, variant: "bag-of-words logistic regression (tfjs): test accuracy", value: baseline.test.accuracy, unit: "", detail: `val ${pct(baseline.val.accuracy)}; ${confusion(baseline.test)}; objective ${baseline.train.losses[baseline.train.losses.length - 1].toFixed(5)}` },
      { name, variant: "pre-trained Transformer − baseline (test accuracy)", value: preTest.accuracy - baseline.test.accuracy, unit: "", detail: `${Math.round((preTest.accuracy - baseline.test.accuracy) * s.test.labels.length)} messages` },
      { name, variant: "pre-training's gain (test accuracy)", value: preTest.accuracy - scratchTest.accuracy, unit: "", detail: `${Math.round((preTest.accuracy - scratchTest.accuracy) * s.test.labels.length)} messages` },
      { name, variant: "plain path (reference 4.x functions) vs fast: test predictions that differ", value: differ, unit: "", detail: `plain ${plain.cpu.toFixed(1)} s CPU for ${s.test.labels.length} messages`, target: { op: "<=", value: 0 } },
      { name, variant: "MLM pre-training: time", value: pretrain.cpu, unit: "s CPU", detail: `${pretrain.value.steps} steps × ${mlm.batchSize}, wall ${pretrain.wall.toFixed(0)} s; validation MLM loss ${mlmVal.loss.toFixed(3)}, top-1 ${pct(mlmVal.accuracy)}` },
      { name, variant: "fine-tuning: time", value: tune.cpu, unit: "s CPU", detail: `${tune.value.steps} steps × ${fineTune.batchSize}, wall ${tune.wall.toFixed(0)} s (without pre-training: ${scratchTune.cpu.toFixed(0)} s CPU)` },
      { name, variant: "baseline: time (features + training)", value: base.cpu, unit: "s CPU", detail: `${baseline.train.steps} full-batch Adam steps, wall ${base.wall.toFixed(1)} s` },
    );

    const version = torchVersion();
    if (version) {
      const peer = new PythonPeer("spam_baseline.py");
      try {
        const texts = (k: "train" | "val" | "test") => s[k].messages.map((m) => m.text);
        const payload = (k: "train" | "val" | "test") => ({ rows: sparseRows(baseline.vocabulary, texts(k)), labels: s[k].labels });
        const fit = await peer.request<{ accuracy: Record<string, number>; objective: number; cpu_s: number; torch: string }>({
          cmd: "fit", features: baseline.vocabulary.words.length, C: 1, train: payload("train"), val: payload("val"), test: payload("test"),
        });
        const ours = baseline.train.losses[baseline.train.losses.length - 1];
        rows.push(
          { name, variant: `baseline fitted to its optimum (torch ${fit.torch} L-BFGS): test accuracy`, value: fit.accuracy.test, unit: "", detail: `val ${pct(fit.accuracy.val)}; objective ${fit.objective.toFixed(5)}; ${fit.cpu_s.toFixed(1)} s CPU` },
          { name, variant: "baseline: tfjs objective / optimum − 1", value: ours / fit.objective - 1, unit: "", detail: "how far the fixed Adam budget is from the optimum", target: { op: "<=", value: 0.05 } },
        );
      } finally {
        peer.close();
      }
    }

    disposeBert(pre);
    disposeBert(tuned);
    disposeBert(scratch);
    bow.disposeLogReg(baseline.params);
    rows.push({ name, variant: "tensors left behind", value: tf.memory().numTensors - before, unit: "", target: { op: "<=", value: 0 } });
    return rows;
  },
};
