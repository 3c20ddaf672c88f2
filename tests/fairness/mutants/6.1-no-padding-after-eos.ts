/**
 * @planted mutant
 * @exercise 6.1
 * @bug decodes every row to maxLen, appending whatever comes after its [EOS]
 * @misconception no-padding-after-eos
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderState, DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  const rows: number[][] = Array.from({ length: src.shape[0] }, () => []);
  let state: DecoderState = model.start(src);
  let feed = tf.fill([src.shape[0]], model.bosId, "int32");
  for (let t = 0; t < maxLen; t++) {
    const { logProbs, state: next } = model.step(state, feed);
    tf.dispose(Object.values(state));
    state = next;
    feed.dispose();
    feed = tf.tidy(() => tf.cast(tf.argMax(logProbs, 1), "int32"));
    logProbs.dispose();
    (feed.arraySync() as number[]).forEach((id, i) => rows[i].push(id));
  }
  tf.dispose(Object.values(state));
  feed.dispose();
  return tf.tensor2d(rows, [rows.length, maxLen], "int32");
}
