/**
 * YOUR CODE for notebook 04 (an encoder-only, BERT-style Transformer).
 *
 * Replace each `return todo(...)` line with your implementation, save, and re-run the
 * notebook's import cell. Check your work with the notebook's check cells or
 * `npm run grade -- 4.1` (… 4.4).
 *
 * The same rules as before: new tensors out, inputs untouched, no leaks (tf.tidy), documented
 * shapes, and bad input rejected with an Error naming the function, the argument and the shapes
 * or values (lib/support/checks.ts: requireTensor, requireInt, requireBroadcastsTo, fmtShape).
 * Build encoderForward on your own encoderLayer and layerNorm (./blocks).
 */
import * as tf from "@tensorflow/tfjs";
import { todo } from "./support/exercises";
import type { ClassifierHeadParams, DenseParams, EncoderParams, EncoderResult, MlmMaskOptions, MlmMaskResult } from "./support/types";
// IGNORE_INDEX (-100) and the types these functions take and return are defined once, in lib/support/types.ts.
export { IGNORE_INDEX } from "./support/types";
export type { ClassifierHeadParams, DenseParams, EncoderParams, EncoderResult, MlmMaskOptions, MlmMaskResult } from "./support/types";

/**
 * Exercise 4.1: BERT's masking for masked language modelling.
 *
 * ids: int32 [B, T] → { inputs, labels }, both int32 [B, T].
 * A position is eligible unless its id is in options.specialIds (padding, [CLS], [SEP] …).
 * Each eligible position is chosen with probability options.rate (default 0.15). A chosen
 * position becomes maskId 80% of the time, a random regular token 10% of the time, and keeps its
 * id 10% of the time. labels: the original id at chosen positions, IGNORE_INDEX everywhere else.
 *
 * Use exactly these random numbers (so the same seed always gives the same result, and the
 * grader can compare with the reference), three uniform [B, T] draws in [0, 1) from
 * lib/support/random.ts:
 *   u = randu(shape, seed)       chosen where u < rate (and eligible)
 *   a = randu(shape, seed + 1)   a chosen position becomes maskId if a < 0.8, a random token if
 *                                0.8 <= a < 0.9, and keeps its id otherwise
 *   r = randu(shape, seed + 2)   the random token is regular[min(floor(r · n), n − 1)], where
 *                                regular lists the n ids of [0, vocabSize) that are neither in
 *                                specialIds nor maskId, in increasing order
 * Bad input (throw an Error naming mlmMask and the value): ids not an int32 [B, T] tensor, an id
 * outside [0, vocabSize), seed not a positive integer, rate outside (0, 1], maskId or a special
 * id outside [0, vocabSize).
 */
export function mlmMask(ids: tf.Tensor, options: MlmMaskOptions): MlmMaskResult {
  return todo("4.1");
}

/**
 * Exercise 4.2: the vector BERT classifies a sequence by: the encoder's output at position 0,
 * the [CLS] token. hidden: float32 [B, T, d] → [B, d].
 * (Not the last position, and not a mean over positions, which would include padding.)
 */
export function clsPool(hidden: tf.Tensor): tf.Tensor {
  return todo("4.2");
}

/**
 * Exercise 4.3: BERT's classification head. pooled: [B, d] (clsPool's output) → logits [B, C]:
 *   logits = tanh(pooled·pooler.w + pooler.b)·output.w + output.b
 * pooler.w [d, d], pooler.b [d], output.w [d, C], output.b [C]. Return logits (no softmax).
 */
export function classifierHead(params: ClassifierHeadParams, pooled: tf.Tensor): tf.Tensor {
  return todo("4.3");
}

/**
 * Exercise 4.4: the encoder stack, built from YOUR encoderLayer and layerNorm (./blocks).
 *   x = tokenEmbedding[ids] + positionEmbedding[0 .. T−1]     [B, T, d]
 *   x = encoderLayer(layer, x, paddingMask) for every layer    (no causal mask: the encoder reads both ways)
 *   output = layerNorm(x, finalNorm.gamma, finalNorm.beta)
 * ids: int32 [B, T] with T at most positionEmbedding's rows (the model's context).
 * paddingMask (optional): broadcastable to [B, T, T], 1 = a real token, 0 = padding; usually
 * paddingMask(lengths, T) of notebook 01, [B, 1, T]. Pass it to every layer.
 * Look token rows up with embed(table, ids) from ./support/train (tf.gather has no gradient on
 * the wasm backend).
 * Returns { output: [B, T, d], weights: one [B, h, T, T] per layer (each layer's selfWeights) }.
 * Bad input (throw an Error naming encoderForward): ids not int32 [B, T], T larger than the
 * context (say how long the model's context is), an id outside [0, V), a paddingMask that does
 * not broadcast to [B, T, T].
 */
export function encoderForward(params: EncoderParams, ids: tf.Tensor, paddingMask?: tf.Tensor): EncoderResult {
  return todo("4.4");
}
