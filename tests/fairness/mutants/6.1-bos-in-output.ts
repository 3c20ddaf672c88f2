/**
 * @planted mutant
 * @exercise 6.1
 * @bug puts [BOS] at the start of each output row (so the row holds BOS + maxLen - 1 tokens)
 * @feedback only part of your output differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderState, DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  const b = src.shape[0];
  const rows: number[][] = Array.from({ length: b }, () => [model.bosId]);
  const finished = new Array<boolean>(b).fill(false);
  let state: DecoderState = model.start(src);
  for (let t = 1; t < maxLen && finished.includes(false); t++) {
    const feed = tf.tensor1d(rows.map((r) => r[r.length - 1]), "int32");
    const { logProbs, state: next } = model.step(state, feed);
    tf.dispose([feed, ...Object.values(state)]);
    state = next;
    const ids = tf.tidy(() => tf.argMax(logProbs, -1).arraySync() as number[]);
    logProbs.dispose();
    ids.forEach((id, i) => {
      if (finished[i]) return;
      rows[i].push(id);
      if (id === model.eosId) finished[i] = true;
    });
  }
  tf.dispose(Object.values(state));
  return tf.tensor2d(rows.map((r) => [...r, ...new Array(maxLen - r.length).fill(model.padId)]), [b, maxLen], "int32");
}
