/**
 * Reference solutions for notebook 04 (an encoder-only, BERT-style Transformer).
 *
 * The encoder is "the reader": self-attention with no causal mask, so every position sees the
 * whole message (only padding is hidden). It is pre-trained by masked language modelling (hide
 * some tokens, predict them from both sides) and then fine-tuned to classify a message from the
 * vector at its first position, [CLS].
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError, requireBroadcastsTo, requireInt, requireTensor, within } from "../lib/support/checks";
import { randu } from "../lib/support/random";
import { embed } from "../lib/support/train";
import { layerNorm, encoderLayer } from "./blocks";
import { IGNORE_INDEX } from "../lib/support/types";
import type { ClassifierHeadParams, DenseParams, EncoderParams, EncoderResult, MlmMaskOptions, MlmMaskResult } from "../lib/support/types";
export { IGNORE_INDEX } from "../lib/support/types";
export type { ClassifierHeadParams, DenseParams, EncoderParams, EncoderResult, MlmMaskOptions, MlmMaskResult } from "../lib/support/types";

/** Reads an int32 tensor's values and checks that every one is an id in [0, vocabSize). */
function checkIds(fn: string, arg: string, ids: tf.Tensor, vocabSize: number): void {
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= vocabSize) {
      const at = ids.shape.length === 2 ? `[${Math.floor(i / ids.shape[1]!)}, ${i % ids.shape[1]!}]` : `[${i}]`;
      throw new LabInputError(`${fn}: ${arg}${at} is ${values[i]}, not an id in [0, ${vocabSize}) (ids ${fmtShape(ids.shape)})`);
    }
  }
}

/**
 * Exercise 4.1: BERT's masking for masked language modelling.
 *
 * ids: int32 [B, T]. A position is eligible unless its id is in specialIds (padding, [CLS],
 * [SEP] …). Each eligible position is chosen with probability `rate`; a chosen position becomes
 * [MASK] 80% of the time, a random regular token 10% of the time, and stays as it is 10% of the
 * time (so the model cannot learn that only [MASK] positions matter). labels hold the original
 * id at chosen positions and IGNORE_INDEX elsewhere, so the loss scores only those.
 *
 * The random numbers are fixed by the seed, three uniform [B, T] draws in [0, 1):
 *   u = randu(shape, seed)       chosen where u < rate (and eligible)
 *   a = randu(shape, seed + 1)   a chosen position becomes [MASK] if a < 0.8, a random token if
 *                                0.8 <= a < 0.9, and keeps its id otherwise
 *   r = randu(shape, seed + 2)   the random token is regular[min(floor(r · n), n − 1)], where
 *                                regular lists the n ids of [0, vocabSize) that are neither in
 *                                specialIds nor maskId, in increasing order
 */
export function mlmMask(ids: tf.Tensor, options: MlmMaskOptions): MlmMaskResult {
  const fn = "mlmMask";
  requireTensor(fn, "ids", ids, { rank: 2, dtypes: ["int32"], pattern: "[B, T]" });
  if (typeof options !== "object" || options === null) {
    throw new LabInputError(`${fn}: argument "options" must be an object { maskId, vocabSize, rate?, seed, specialIds }`);
  }
  const { maskId, vocabSize, rate = 0.15, seed, specialIds } = options;
  requireInt(fn, "options.vocabSize", vocabSize, 1);
  requireInt(fn, "options.maskId", maskId, 0, vocabSize - 1);
  requireInt(fn, "options.seed", seed, 1);
  if (typeof rate !== "number" || !(rate > 0 && rate <= 1)) {
    throw new LabInputError(`${fn}: option "rate" must be a number in (0, 1], got ${String(rate)}`);
  }
  if (!Array.isArray(specialIds)) {
    throw new LabInputError(`${fn}: option "specialIds" must be an array of ids (e.g. SPECIAL_IDS), got ${typeof specialIds}`);
  }
  specialIds.forEach((id, i) => requireInt(fn, `options.specialIds[${i}]`, id, 0, vocabSize - 1));
  checkIds(fn, "ids", ids, vocabSize);
  const excluded = new Set([...specialIds, maskId]);
  const regular: number[] = [];
  for (let id = 0; id < vocabSize; id++) if (!excluded.has(id)) regular.push(id);
  if (regular.length === 0) {
    throw new LabInputError(`${fn}: every id in [0, ${vocabSize}) is special or the mask id, so there is no regular token to draw`);
  }
  const shape = ids.shape as [number, number];
  return tf.tidy(() => {
    const u = randu(shape, seed);
    const a = randu(shape, seed + 1);
    const r = randu(shape, seed + 2);
    const special = specialIds.reduce((acc, id) => tf.logicalOr(acc, tf.equal(ids, id)), tf.zeros(shape, "bool"));
    const chosen = tf.logicalAnd(tf.less(u, rate), tf.logicalNot(special));
    const toMask = tf.logicalAnd(chosen, tf.less(a, 0.8));
    const toRandom = tf.logicalAnd(chosen, tf.logicalAnd(tf.greaterEqual(a, 0.8), tf.less(a, 0.9)));
    const n = regular.length;
    const pick = tf.cast(tf.clipByValue(tf.floor(tf.mul(r, n)), 0, n - 1), "int32"); // [B, T] indices into regular
    const randomIds = tf.reshape(tf.gather(tf.tensor1d(regular, "int32"), tf.reshape(pick, [-1])), shape);
    const inputs = tf.where(toMask, tf.fill(shape, maskId, "int32"), tf.where(toRandom, randomIds, ids));
    const labels = tf.where(chosen, ids, tf.fill(shape, IGNORE_INDEX, "int32"));
    return { inputs, labels };
  });
}

/**
 * Exercise 4.2: the vector BERT classifies a sequence by: the output at position 0, the [CLS]
 * token. Self-attention lets it read every other position, so after training it summarises the
 * whole input. hidden: [B, T, d] → [B, d].
 */
export function clsPool(hidden: tf.Tensor): tf.Tensor {
  const fn = "clsPool";
  requireTensor(fn, "hidden", hidden, { rank: 3, dtypes: ["float32"], pattern: "[B, T, d]" });
  const [b, t, d] = hidden.shape as number[];
  if (t < 1) throw new LabInputError(`${fn}: hidden ${fmtShape(hidden.shape)} has no positions (T = 0), so there is no [CLS] vector`);
  return tf.tidy(() => tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, d]), [b, d]));
}

function checkDense(fn: string, name: string, p: DenseParams, din: number): number {
  if (typeof p !== "object" || p === null) throw new LabInputError(`${fn}: params.${name} must be an object { w, b }`);
  const w = requireTensor(fn, `params.${name}.w`, p.w, { rank: 2, dtypes: ["float32"], pattern: "[d_in, d_out]" });
  const dout = w.shape[1] as number;
  if (w.shape[0] !== din) throw new LabInputError(`${fn}: params.${name}.w ${fmtShape(w.shape)} must have ${din} rows (d_in = ${din})`);
  const bias = requireTensor(fn, `params.${name}.b`, p.b, { rank: 1, dtypes: ["float32"], pattern: "[d_out]" });
  if (bias.shape[0] !== dout) throw new LabInputError(`${fn}: params.${name}.b ${fmtShape(bias.shape)} must be [${dout}] for w ${fmtShape(w.shape)}`);
  return dout;
}

/**
 * Exercise 4.3: BERT's classification head. pooled: [B, d] (clsPool's output) → logits [B, C]:
 *   logits = tanh(pooled·pooler.w + pooler.b)·output.w + output.b
 * The tanh layer is BERT's "pooler"; the logits are not softmaxed (the loss does that).
 */
export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  const fn = "classifierHead";
  requireTensor(fn, "pooled", pooled, { rank: 2, dtypes: ["float32"], pattern: "[B, d]" });
  if (typeof params !== "object" || params === null) throw new LabInputError(`${fn}: argument "params" must be an object { pooler: { w, b }, output: { w, b } }`);
  const d = pooled.shape[1] as number;
  const width = checkDense(fn, "pooler", params.pooler, d);
  checkDense(fn, "output", params.output, width);
  return tf.tidy(() => {
    const pooledTanh = tf.tanh(tf.add(tf.matMul(pooled, params.pooler.w), params.pooler.b)); // [B, d]
    return tf.add(tf.matMul(pooledTanh, params.output.w), params.output.b); // [B, C]
  });
}

/**
 * Exercise 4.4: the encoder stack, built from your encoderLayer (exercise 3.3).
 *   x = tokenEmbedding[ids] + positionEmbedding[0 .. T−1]     [B, T, d]
 *   x = encoderLayer(layer, x, paddingMask) for every layer    (no causal mask: the encoder reads both ways)
 *   output = layerNorm(x, finalNorm)
 * ids: int32 [B, T] with T at most the number of positions (positionEmbedding's rows).
 * paddingMask (optional): broadcastable to [B, T, T], 1 = a real token, 0 = padding; usually
 * paddingMask(lengths, T) of notebook 01, [B, 1, T]. Look token rows up with embed(table, ids)
 * from lib/support/train (tf.gather has no gradient on the wasm backend).
 * Returns the output and every layer's attention weights (for looking at what [CLS] reads).
 */
export function encoderForward(params: EncoderParams, ids: tf.Tensor, paddingMask?: tf.Tensor): EncoderResult {
  const fn = "encoderForward";
  requireTensor(fn, "ids", ids, { rank: 2, dtypes: ["int32"], pattern: "[B, T]" });
  if (typeof params !== "object" || params === null || !Array.isArray(params.layers)) {
    throw new LabInputError(`${fn}: argument "params" must be an object { tokenEmbedding, positionEmbedding, layers: [...], finalNorm }`);
  }
  const table = requireTensor(fn, "params.tokenEmbedding", params.tokenEmbedding, { rank: 2, dtypes: ["float32"], pattern: "[V, d]" });
  const positions = requireTensor(fn, "params.positionEmbedding", params.positionEmbedding, { rank: 2, dtypes: ["float32"], pattern: "[context, d]" });
  const [vocabSize, d] = table.shape as number[];
  const [context, dPos] = positions.shape as number[];
  if (dPos !== d) throw new LabInputError(`${fn}: params.positionEmbedding ${fmtShape(positions.shape)} must have d = ${d} columns like params.tokenEmbedding ${fmtShape(table.shape)}`);
  const [b, t] = ids.shape as number[];
  if (paddingMask !== undefined) {
    requireTensor(fn, "paddingMask", paddingMask, { pattern: "(1 = token, 0 = padding; e.g. paddingMask(lengths, T))" });
    requireBroadcastsTo(fn, "paddingMask", paddingMask.shape, [b, t, t], "the attention scores [B, T, T]");
  }
  if (t < 1) throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} has no positions`);
  if (t > context) {
    throw new LabInputError(`${fn}: ids ${fmtShape(ids.shape)} has ${t} positions, more than the model's ${context} (params.positionEmbedding ${fmtShape(positions.shape)}); cut longer messages when encoding (encodeBatch's contextLength)`);
  }
  checkIds(fn, "ids", ids, vocabSize);
  return tf.tidy(() => {
    let x = tf.add(embed(table, ids), tf.slice(positions, [0, 0], [t, d])); // [B, T, d]
    const weights: tf.Tensor[] = [];
    params.layers.forEach((layer, i) => {
      const r = within(fn, `params.layers[${i}]`, () => encoderLayer(layer, x, paddingMask));
      x = r.output;
      weights.push(r.selfWeights); // [B, h, T, T]
    });
    const output = within(fn, "params.finalNorm", () => layerNorm(x, params.finalNorm?.gamma, params.finalNorm?.beta));
    return { output, weights } as unknown as tf.TensorContainer;
  }) as unknown as EncoderResult;
}
