/**
 * @planted mutant
 * @exercise 6.1
 * @bug never frees the states it has replaced (nor the log-probabilities)
 * @category leaks
 * @feedback greedyDecode leaves tensors behind on every call
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderState, DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  const b = src.shape[0];
  const rows: number[][] = Array.from({ length: b }, () => []);
  const finished = new Array<boolean>(b).fill(false);
  let state: DecoderState = model.start(src);
  let last = new Array<number>(b).fill(model.bosId);
  for (let t = 0; t < maxLen && finished.includes(false); t++) {
    const out = model.step(state, tf.tensor1d(last, "int32"));
    state = out.state;
    last = out.logProbs.argMax(-1).arraySync() as number[];
    last.forEach((id, i) => {
      if (finished[i]) return;
      rows[i].push(id);
      if (id === model.eosId) finished[i] = true;
    });
  }
  return tf.tensor2d(rows.map((r) => [...r, ...new Array(maxLen - r.length).fill(model.padId)]), [b, maxLen], "int32");
}
