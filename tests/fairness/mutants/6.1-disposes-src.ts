/**
 * @planted mutant
 * @exercise 6.1
 * @bug "cleans up" by disposing src, which belongs to the caller
 * @category intact
 * @feedback greedyDecode disposed its input
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
    const feed = tf.tensor1d(last, "int32");
    const { logProbs, state: next } = model.step(state, feed);
    tf.dispose([feed, ...Object.values(state)]);
    state = next;
    last = tf.tidy(() => tf.argMax(logProbs, -1).arraySync() as number[]);
    logProbs.dispose();
    last.forEach((id, i) => {
      if (finished[i]) return;
      rows[i].push(id);
      if (id === model.eosId) finished[i] = true;
    });
  }
  tf.dispose([src, ...Object.values(state)]);
  return tf.tensor2d(rows.map((r) => [...r, ...new Array(maxLen - r.length).fill(model.padId)]), [b, maxLen], "int32");
}
