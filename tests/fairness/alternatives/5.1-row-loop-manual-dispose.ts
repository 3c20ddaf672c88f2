/**
 * @planted alternative
 * @exercise 5.1
 * @style one row at a time (dropping its padding by slicing), totals summed across rows, intermediates disposed by hand
 * @near mean-over-batch
 * @near padding-counted
 */
import * as tf from "@tensorflow/tfjs";

export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor, padId: number): tf.Scalar {
  const [b, t, v] = logits.shape as number[];
  if (ids.shape[0] !== b || ids.shape[1] !== t) throw new Error(`nextTokenLoss: ids ${JSON.stringify(ids.shape)} do not match logits ${JSON.stringify(logits.shape)}`);
  const rows = ids.arraySync() as number[][];
  const parts: tf.Tensor[] = [];
  let count = 0;
  for (let r = 0; r < b; r++) {
    const keep: number[] = [];
    for (let p = 1; p < t; p++) if (rows[r][p] !== padId) keep.push(p);
    if (keep.length === 0) continue;
    count += keep.length;
    const sliced = logits.slice([r, 0, 0], [1, t, v]);
    const row = sliced.reshape([t, v]);
    const where = tf.tensor1d(keep.map((p) => p - 1), "int32");
    const hotWhere = tf.oneHot(where, t);
    const pick = tf.cast(hotWhere, "float32"); // [n, T]: rows of the positions to score
    const before = tf.matMul(pick, row); // [n, V]: their predictions (tf.gather has no gradient on wasm)
    const logp = tf.logSoftmax(before);
    const next = tf.tensor1d(keep.map((p) => rows[r][p]), "int32");
    const hot = tf.oneHot(next, v);
    const picked = tf.mul(logp, hot);
    parts.push(tf.sum(picked));
    tf.dispose([sliced, row, where, hotWhere, pick, before, logp, next, hot, picked]);
  }
  const total = tf.addN(parts);
  const negated = tf.neg(total);
  const loss = tf.div(negated, count) as tf.Scalar;
  tf.dispose([...parts, total, negated]);
  return loss;
}
