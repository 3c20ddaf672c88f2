/**
 * @planted alternative
 * @exercise 4.3
 * @style tanh written as (e^2x − 1)/(e^2x + 1) on clipped values, tf.dot, manual dispose, its own error wording
 * @near no-tanh
 * @near softmax-output
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierHeadParams } from "../../../lib/support/types";

export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  const d = pooled.shape[1];
  if (pooled.rank !== 2 || params.pooler.w.shape[0] !== d) {
    throw new Error(`classifierHead: pooled [${pooled.shape.join(",")}] does not fit pooler.w [${params.pooler.w.shape.join(",")}]`);
  }
  const zw = tf.dot(pooled, params.pooler.w);
  const z = tf.add(zw, params.pooler.b);
  const zc = tf.clipByValue(z, -15, 15);
  const one = tf.scalar(1);
  const twice = tf.add(zc, zc);
  const e = tf.exp(twice);
  const num = tf.sub(e, one);
  const den = tf.add(e, one);
  const t = tf.div(num, den);
  const tw = tf.dot(t, params.output.w);
  const logits = tf.add(tw, params.output.b);
  tf.dispose([zw, z, zc, one, twice, e, num, den, t, tw]);
  return logits;
}
