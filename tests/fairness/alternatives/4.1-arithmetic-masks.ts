/**
 * @planted alternative
 * @exercise 4.1
 * @style 0/1 float masks combined by arithmetic, a one-hot lookup of the random tokens, manual dispose
 * @near all-mask
 * @near random-from-vocab
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, requireInt, requireTensor } from "../../../lib/support/checks";
import { randu } from "../../../lib/support/random";
import type { MlmMaskOptions, MlmMaskResult } from "../../../lib/support/types";

export function mlmMask(ids: tf.Tensor, options: MlmMaskOptions): MlmMaskResult {
  requireTensor("mlmMask", "ids", ids, { rank: 2, dtypes: ["int32"], pattern: "[B, T]" });
  const { maskId, vocabSize, seed, specialIds } = options;
  const rate = options.rate ?? 0.15;
  requireInt("mlmMask", "options.seed", seed, 1);
  if (!(rate > 0 && rate <= 1)) throw new Error(`mlmMask: options.rate must be in (0, 1], got ${rate}`);
  const max = tf.max(ids);
  const min = tf.min(ids);
  const [hi, lo] = [max.dataSync()[0], min.dataSync()[0]];
  tf.dispose([max, min]);
  if (hi >= vocabSize || lo < 0) throw new Error(`mlmMask: ids ${fmtShape(ids.shape)} hold ${hi >= vocabSize ? hi : lo}, outside [0, ${vocabSize})`);
  const regular = [];
  for (let id = 0; id < vocabSize; id++) if (!specialIds.includes(id) && id !== maskId) regular.push(id);
  const shape = ids.shape as [number, number];
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
  try {
    const u = keep(randu(shape, seed));
    const a = keep(randu(shape, seed + 1));
    const r = keep(randu(shape, seed + 2));
    let eligible = keep(tf.onesLike(u));
    for (const s of specialIds) eligible = keep(tf.mul(eligible, keep(tf.cast(keep(tf.notEqual(ids, s)), "float32"))));
    const chosen = keep(tf.mul(eligible, keep(tf.cast(keep(tf.less(u, rate)), "float32"))));
    const isMask = keep(tf.mul(chosen, keep(tf.cast(keep(tf.less(a, 0.8)), "float32"))));
    const isRandom = keep(tf.mul(chosen, keep(tf.mul(keep(tf.cast(keep(tf.greaterEqual(a, 0.8)), "float32")), keep(tf.cast(keep(tf.less(a, 0.9)), "float32"))))));
    const n = regular.length;
    const index = keep(tf.cast(keep(tf.minimum(keep(tf.floor(keep(tf.mul(r, n)))), n - 1)), "int32"));
    const oneHot = keep(tf.oneHot(keep(tf.reshape(index, [-1])), n));
    const drawn = keep(tf.reshape(keep(tf.matMul(oneHot, keep(tf.tensor2d(regular, [n, 1])))), shape));
    const asFloat = keep(tf.cast(ids, "float32"));
    const stay = keep(tf.sub(1, keep(tf.add(isMask, isRandom))));
    const mixed = keep(tf.add(keep(tf.add(keep(tf.mul(stay, asFloat)), keep(tf.mul(isMask, maskId)))), keep(tf.mul(isRandom, drawn))));
    const inputs = tf.cast(keep(tf.round(mixed)), "int32");
    const labelsF = keep(tf.add(keep(tf.mul(chosen, asFloat)), keep(tf.mul(keep(tf.sub(1, chosen)), -100))));
    const labels = tf.cast(keep(tf.round(labelsF)), "int32");
    return { inputs, labels };
  } finally {
    tf.dispose(made);
  }
}
