/**
 * @planted alternative
 * @exercise 3.2
 * @style tf.maximum(h, 0) as the ReLU, one position at a time via tf.unstack over T, disposing by hand
 * @near relu-both
 * @near relu-before-bias
 * @near sigmoid
 */
import * as tf from "@tensorflow/tfjs";
import type { FeedForwardParams } from "../../../lib/support/types";

export function feedForward(params: FeedForwardParams, x: tf.Tensor): tf.Tensor {
  if (!(x instanceof tf.Tensor) || x.rank !== 3) throw new Error("feedForward: x must be [B, T, d]");
  const d = x.shape[2];
  if (params.w1.shape[0] !== d) throw new Error(`feedForward: w1 is ${params.w1.shape.join("x")} but x is ${x.shape.join("x")} (width ${d})`);
  const positions = tf.unstack(x, 1); // T tensors [B, d]
  const outs = positions.map((p) => {
    const a = tf.matMul(p, params.w1);
    const h = tf.add(a, params.b1);
    const r = tf.maximum(h, 0);
    const o = tf.matMul(r, params.w2);
    const y = tf.add(o, params.b2);
    tf.dispose([a, h, r, o]);
    return y;
  });
  const out = tf.stack(outs, 1);
  tf.dispose([...positions, ...outs]);
  return out;
}
