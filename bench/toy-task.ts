/**
 * Notebook 03's toy task, trained exactly as the notebook trains it (lib/support/seq2seq.ts:
 * TOY_MODEL, TOY_TRAINING, trainToyTask) but with the reference blocks: a one-layer
 * encoder-decoder learns to reverse 8-digit strings. Targets: at least 99% token accuracy of
 * greedy decoding on 500 unseen strings, in under 60 s of training on a 2-core machine.
 */
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/support/backend";
import { countParameters, createSeq2Seq, disposeSeq2Seq, Seq2SeqBlocks, TOY_MODEL, TOY_TRAINING, trainToyTask } from "../lib/support/seq2seq";
import { causalMask } from "../solutions/attention";
import { decoderLayer, encoderLayer, layerNorm } from "../solutions/blocks";
import { sinusoidalPositionalEncoding } from "../solutions/multihead";
import { Benchmark, BenchRow } from "./harness";

/** The seed notebook 03 uses for the model. */
export const TOY_MODEL_SEED = 7;

export const toyTaskBenchmark: Benchmark = {
  name: "toy-task",
  async run(): Promise<BenchRow[]> {
    await setupBackend("wasm", { quiet: true });
    const blocks: Seq2SeqBlocks = { layerNorm, encoderLayer, decoderLayer, causalMask, sinusoidalPositionalEncoding };
    const before = tf.memory().numTensors;
    const model = createSeq2Seq(blocks, TOY_MODEL, TOY_MODEL_SEED);
    const params = countParameters(model);
    const result = await trainToyTask(blocks, model);
    disposeSeq2Seq(model);
    const leaked = tf.memory().numTensors - before;
    const name = `reverse ${TOY_TRAINING.length} digits, d=${TOY_MODEL.d} h=${TOY_MODEL.numHeads} N=${TOY_MODEL.numLayers}`;
    const perStep = (1000 * result.seconds) / result.steps;
    return [
      {
        name, variant: "wasm, greedy token accuracy", value: result.tokenAccuracy, unit: "",
        detail: `whole strings ${(100 * result.sequenceAccuracy).toFixed(1)}%, ${params} parameters`,
        target: { op: ">=", value: 0.99 },
      },
      {
        name, variant: "wasm, training time", value: result.seconds, unit: "s",
        detail: `${result.steps} steps of batch ${TOY_TRAINING.batchSize}, ${perStep.toFixed(0)} ms/step`,
        target: { op: "<=", value: 60 },
      },
      { name, variant: "tensors left after dispose", value: leaked, unit: "", target: { op: "<=", value: 0 } },
    ];
  },
};
