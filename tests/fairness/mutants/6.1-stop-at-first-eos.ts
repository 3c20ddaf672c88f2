/**
 * @planted mutant
 * @exercise 6.1
 * @bug one "done" flag for the whole batch: every row stops when the first row produces [EOS]
 * @misconception stop-at-first-eos
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderState, DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  const b = src.shape[0];
  const out = new Array<number>(b * maxLen).fill(model.padId);
  let state: DecoderState = model.start(src);
  let last = new Array<number>(b).fill(model.bosId);
  let done = false;
  for (let t = 0; t < maxLen && !done; t++) {
    const feed = tf.tensor1d(last, "int32");
    const step = model.step(state, feed);
    tf.dispose([feed, ...Object.values(state)]);
    state = step.state;
    const best = tf.argMax(step.logProbs, -1);
    last = best.arraySync() as number[];
    tf.dispose([best, step.logProbs]);
    last.forEach((id, i) => {
      out[i * maxLen + t] = id;
      if (id === model.eosId) done = true;
    });
  }
  tf.dispose(Object.values(state));
  return tf.tensor2d(out, [b, maxLen], "int32");
}
