/**
 * @planted alternative
 * @exercise 6.1
 * @style decodes one source row at a time (its own start/step loop), stopping each row at its own [EOS]
 * @near stop-at-first-eos
 */
import * as tf from "@tensorflow/tfjs";
import { LabInputError, requireInt, requireTensor } from "../../../lib/support/checks";
import type { DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  if (typeof model?.start !== "function") throw new LabInputError("greedyDecode: argument \"model\" is not a DecodingModel");
  requireTensor("greedyDecode", "src", src, { rank: 2, dtypes: ["int32"], pattern: "[B, Tx]" });
  requireInt("greedyDecode", "maxLen", maxLen, 1);
  const out: number[][] = [];
  for (let r = 0; r < src.shape[0]; r++) {
    const row = tf.slice(src, [r, 0], [1, -1]);
    let state = model.start(row);
    row.dispose();
    const tokens: number[] = [];
    let last = model.bosId;
    while (tokens.length < maxLen && last !== model.eosId) {
      const feed = tf.tensor1d([last], "int32");
      const step = model.step(state, feed);
      feed.dispose();
      tf.dispose(Object.values(state));
      state = step.state;
      const lp = step.logProbs.dataSync();
      step.logProbs.dispose();
      last = lp.indexOf(Math.max(...Array.from(lp)));
      tokens.push(last);
    }
    tf.dispose(Object.values(state));
    while (tokens.length < maxLen) tokens.push(model.padId);
    out.push(tokens);
  }
  return tf.tensor2d(out, [out.length, maxLen], "int32");
}
