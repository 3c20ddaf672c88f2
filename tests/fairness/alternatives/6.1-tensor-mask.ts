/**
 * @planted alternative
 * @exercise 6.1
 * @style keeps a finished mask as a tensor and writes padId with tf.where; collects columns and stacks them; own error wording
 * @near no-padding-after-eos
 * @near stop-at-first-eos
 */
import * as tf from "@tensorflow/tfjs";
import type { DecoderState, DecodingModel } from "../../../lib/support/types";

export function greedyDecode(model: DecodingModel, src: tf.Tensor, maxLen: number): tf.Tensor {
  if (!model || typeof model.step !== "function") throw new Error("greedyDecode: model must be a DecodingModel");
  if (!(src instanceof tf.Tensor) || src.rank !== 2 || src.dtype !== "int32") throw new Error(`greedyDecode: src must be an int32 [B, Tx] tensor, got ${src?.dtype} [${src?.shape}]`);
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`greedyDecode: maxLen must be a positive integer, got ${maxLen}`);
  const b = src.shape[0];
  const columns: tf.Tensor[] = [];
  let state: DecoderState = model.start(src);
  let feed = tf.fill([b], model.bosId, "int32");
  let done = tf.zeros([b], "bool");
  while (columns.length < maxLen && !tf.tidy(() => done.all().arraySync() as number)) {
    const { logProbs, state: next } = model.step(state, feed);
    tf.dispose(Object.values(state));
    state = next;
    const [col, nowDone] = tf.tidy(() => {
      const best = tf.cast(tf.argMax(logProbs, -1), "int32");
      const c = tf.where(done, tf.fill([b], model.padId, "int32"), best);
      return [c, tf.logicalOr(done, tf.equal(best, model.eosId))];
    });
    tf.dispose([logProbs, done]);
    done = nowDone;
    columns.push(col);
    feed.dispose();
    feed = col.clone();
  }
  tf.dispose([feed, done, ...Object.values(state)]);
  const out = tf.tidy(() => {
    const got = tf.stack(columns, 1);
    const missing = maxLen - columns.length;
    return missing > 0 ? tf.concat([got, tf.fill([b, missing], model.padId, "int32")], 1) : got;
  });
  tf.dispose(columns);
  return out;
}
