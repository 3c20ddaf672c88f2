/**
 * The counting baseline of notebook 05: a bigram model predicts each token from the one before it
 * only, with probabilities read off a table of counts,
 *
 *   p(next = j | previous = i) = (count(i → j) + α) / (count(i → ·) + α·V)
 *
 * (add-α smoothing, α = 1 by default: a pair never seen in training still gets a small chance).
 * Its log-probabilities are valid logits (softmax(log p) = p), so the same loss and sampling code
 * that serves the GPT (exercises 5.1 and 5.2) serves the bigram too.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";

export interface BigramModel {
  vocabSize: number;
  /** Add-α smoothing constant. */
  smoothing: number;
  /** [V * V]: counts[i * V + j] = how often token j followed token i in the training sequences. */
  counts: Float64Array;
  /** [V * V]: log p(j | i), row-major (each row's probabilities sum to 1). */
  logProbs: Float32Array;
}

/** Counts every adjacent pair of every sequence (e.g. [BOS, letters…, EOS] per name). */
export function fitBigram(sequences: readonly (readonly number[])[], vocabSize: number, opts: { smoothing?: number } = {}): BigramModel {
  const fn = "fitBigram";
  const smoothing = opts.smoothing ?? 1;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new LabInputError(`${fn}: argument "vocabSize" must be an integer >= 1, got ${vocabSize}`);
  if (!(typeof smoothing === "number" && smoothing > 0 && Number.isFinite(smoothing))) throw new LabInputError(`${fn}: option "smoothing" must be a number > 0, got ${smoothing}`);
  const v = vocabSize;
  const counts = new Float64Array(v * v);
  sequences.forEach((s, r) => {
    for (let i = 0; i < s.length; i++) {
      if (!Number.isInteger(s[i]) || s[i] < 0 || s[i] >= v) throw new LabInputError(`${fn}: sequences[${r}][${i}] = ${s[i]} is not a token id (0 to ${v - 1})`);
      if (i > 0) counts[s[i - 1] * v + s[i]]++;
    }
  });
  const logProbs = new Float32Array(v * v);
  for (let i = 0; i < v; i++) {
    let row = 0;
    for (let j = 0; j < v; j++) row += counts[i * v + j];
    const total = row + smoothing * v;
    for (let j = 0; j < v; j++) logProbs[i * v + j] = Math.log((counts[i * v + j] + smoothing) / total);
  }
  return { vocabSize: v, smoothing, counts, logProbs };
}

/** Mean negative log-likelihood (nats per token) of every token after the first of every sequence. */
export function bigramNll(model: BigramModel, sequences: readonly (readonly number[])[]): number {
  const v = model.vocabSize;
  let total = 0;
  let n = 0;
  for (const s of sequences) {
    for (let i = 1; i < s.length; i++) {
      total -= model.logProbs[s[i - 1] * v + s[i]];
      n++;
    }
  }
  if (n === 0) throw new LabInputError("bigramNll: the sequences hold no token pairs");
  return total / n;
}

/**
 * The bigram's next-token logits for ids [B, T] (int32): [B, T, V], row (b, t) = log p(· | ids[b, t]).
 * Shaped like a GPT's output, so nextTokenLoss and sampleNext take it as they are.
 */
export function bigramLogits(model: BigramModel, ids: tf.Tensor): tf.Tensor {
  if (!(ids instanceof tf.Tensor) || ids.dtype !== "int32" || ids.rank !== 2) {
    throw new LabInputError(`bigramLogits: argument "ids" must be an int32 tensor [B, T], got ${ids instanceof tf.Tensor ? `${ids.dtype} ${fmtShape(ids.shape)}` : typeof ids}`);
  }
  const v = model.vocabSize;
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= v) throw new LabInputError(`bigramLogits: ids ${fmtShape(ids.shape)} hold ${values[i]}, not a token id (0 to ${v - 1})`);
  }
  return tf.tidy(() => tf.gather(tf.tensor2d(model.logProbs, [v, v]), ids)); // [B, T, V]
}

/** The table of probabilities p(j | i) as a [V, V] tensor (row = previous token), e.g. for a heatmap. */
export function bigramTable(model: BigramModel): tf.Tensor2D {
  const v = model.vocabSize;
  return tf.tidy(() => tf.exp(tf.tensor2d(model.logProbs, [v, v])) as tf.Tensor2D);
}
