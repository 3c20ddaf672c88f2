/**
 * @planted mutant
 * @exercise 6.1
 * @bug uses the tokenizers' BOS_ID / EOS_ID / PAD_ID instead of the model's own ids
 * @feedback only part of your output differs from the reference
 */
import * as tf from "@tensorflow/tfjs";
import { BOS_ID, EOS_ID, PAD_ID } from "../../../lib/support/tokenizers";
import type { DecoderState, DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  const b = src.shape[0];
  const rows: number[][] = Array.from({ length: b }, () => []);
  const finished = new Array<boolean>(b).fill(false);
  let state: DecoderState = model.start(src);
  let last = new Array<number>(b).fill(BOS_ID);
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
      if (id === EOS_ID) finished[i] = true;
    });
  }
  tf.dispose(Object.values(state));
  return tf.tensor2d(rows.map((r) => [...r, ...new Array(maxLen - r.length).fill(PAD_ID)]), [b, maxLen], "int32");
}
