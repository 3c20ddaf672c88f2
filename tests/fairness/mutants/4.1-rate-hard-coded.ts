/**
 * @planted mutant
 * @exercise 4.1
 * @bug uses 0.15 whatever options.rate says
 * @feedback chooses other positions than the reference
 */
import * as tf from "@tensorflow/tfjs";
import { randu } from "../../../lib/support/random";
import { IGNORE_INDEX } from "../../../lib/support/types";
import type { MlmMaskOptions, MlmMaskResult } from "../../../lib/support/types";

export function mlmMask(ids: tf.Tensor, options: MlmMaskOptions): MlmMaskResult {
  const { maskId, vocabSize, rate: _rate, seed, specialIds } = options;
  const shape = ids.shape as [number, number];
  const excluded = new Set([...specialIds, maskId]);
  const regular: number[] = [];
  for (let id = 0; id < vocabSize; id++) if (!excluded.has(id)) regular.push(id);
  return tf.tidy(() => {
    const u = randu(shape, seed);
    const a = randu(shape, seed + 1);
    const r = randu(shape, seed + 2);
    const special = specialIds.reduce((acc, id) => tf.logicalOr(acc, tf.equal(ids, id)), tf.zeros(shape, "bool"));
    const chosen = tf.logicalAnd(tf.less(u, 0.15), tf.logicalNot(special));
    const toMask = tf.logicalAnd(chosen, tf.less(a, 0.8));
    const toRandom = tf.logicalAnd(chosen, tf.logicalAnd(tf.greaterEqual(a, 0.8), tf.less(a, 0.9)));
    const pool = regular;
    const pick = tf.cast(tf.clipByValue(tf.floor(tf.mul(r, pool.length)), 0, pool.length - 1), "int32");
    const randomIds = tf.reshape(tf.gather(tf.tensor1d(pool, "int32"), tf.reshape(pick, [-1])), shape);
    const inputs = tf.where(toMask, tf.fill(shape, maskId, "int32"), tf.where(toRandom, randomIds, ids));
    const labels = tf.where(chosen, ids, tf.fill(shape, IGNORE_INDEX, "int32"));
    return { inputs, labels };
  });
}
