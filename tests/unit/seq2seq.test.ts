/** The toy encoder-decoder of notebook 03 (lib/support/seq2seq.ts), with the reference blocks. No full training here: `npm run bench -- toy-task` does that. */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import {
  BOS,
  countParameters,
  createSeq2Seq,
  decode,
  disposeBatch,
  disposeSeq2Seq,
  encode,
  forward,
  greedyAccuracy,
  greedyDecode,
  reverseBatch,
  Seq2SeqBlocks,
  Seq2SeqModel,
  seq2seqLoss,
  seq2seqVariables,
  TOY_MODEL,
} from "../../lib/support/seq2seq";
import { causalMask } from "../../solutions/attention";
import { decoderLayer, encoderLayer, layerNorm } from "../../solutions/blocks";
import { sinusoidalPositionalEncoding } from "../../solutions/multihead";

const blocks: Seq2SeqBlocks = { layerNorm, encoderLayer, decoderLayer, causalMask, sinusoidalPositionalEncoding };
const config = { ...TOY_MODEL, numLayers: 2 };
let model: Seq2SeqModel;

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
  model = createSeq2Seq(blocks, config, 3);
});

afterAll(() => disposeSeq2Seq(model));

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe("data", () => {
  it("reverseBatch is deterministic, reverses, and lays out teacher forcing", () => {
    const a = reverseBatch(4, 6, 42);
    const b = reverseBatch(4, 6, 42);
    const c = reverseBatch(4, 6, 43);
    expect(a.src.arraySync()).toEqual(b.src.arraySync());
    expect(a.src.arraySync()).not.toEqual(c.src.arraySync());
    const src = a.src.arraySync() as number[][];
    const out = a.tgtOut.arraySync() as number[][];
    const inp = a.tgtIn.arraySync() as number[][];
    expect(a.src.shape).toEqual([4, 6]);
    expect(a.src.dtype).toBe("int32");
    src.forEach((s, i) => {
      expect(out[i]).toEqual([...s].reverse());
      expect(inp[i]).toEqual([BOS, ...out[i].slice(0, -1)]);
      expect(s.every((v) => Number.isInteger(v) && v >= 0 && v <= 9)).toBe(true);
      expect(a.strings[i]).toEqual(s);
    });
    expect(reverseBatch(2, 5, 42, { reverse: false }).tgtOut.arraySync()).toEqual(reverseBatch(2, 5, 42).src.arraySync());
    expect(() => reverseBatch(2, 5, 0)).toThrow("seed must be a non-zero integer");
    [a, b, c].forEach(disposeBatch);
  });
});

describe("model", () => {
  it("the same seed gives the same parameters; all are trainable variables", () => {
    const again = createSeq2Seq(blocks, config, 3);
    const other = createSeq2Seq(blocks, config, 4);
    const va = seq2seqVariables(model);
    const vb = seq2seqVariables(again);
    expect(va.length).toBe(vb.length);
    expect(va.every((v, i) => maxAbsDiff(v, vb[i]) === 0)).toBe(true);
    expect(maxAbsDiff(va[0], seq2seqVariables(other)[0])).toBeGreaterThan(0);
    // embedding + out bias + 2 × (encoder 4·(d²+d) + ffn + 2 norms, decoder 8·(d²+d) + ffn + 3 norms) + 2 final norms
    const { d, dff, vocabSize: v } = config;
    const ffn = d * dff + dff + dff * d + d;
    expect(countParameters(model)).toBe(v * d + v + 2 * (4 * (d * d + d) + ffn + 4 * d) + 2 * (8 * (d * d + d) + ffn + 6 * d) + 4 * d);
    disposeSeq2Seq(again);
    disposeSeq2Seq(other);
  });

  it("shapes of logits and attention maps, with Tx ≠ Ty", () => {
    tf.tidy(() => {
      const src = reverseBatch(3, 7, 5).src; // [3, 7]
      const tgtIn = reverseBatch(3, 4, 6).tgtIn; // [3, 4]
      const r = forward(blocks, model, src, tgtIn);
      expect(r.logits.shape).toEqual([3, 4, config.vocabSize]);
      expect(r.encoderSelfWeights.map((w) => w.shape)).toEqual([[3, 2, 7, 7], [3, 2, 7, 7]]);
      expect(r.selfWeights.map((w) => w.shape)).toEqual([[3, 2, 4, 4], [3, 2, 4, 4]]);
      expect(r.crossWeights.map((w) => w.shape)).toEqual([[3, 2, 4, 7], [3, 2, 4, 7]]);
      expect(encode(blocks, model, src).memory.shape).toEqual([3, 7, config.d]);
      expect(seq2seqLoss(blocks, model, reverseBatch(3, 7, 5)).shape).toEqual([]);
    });
  });

  it("rejects bad ids with a message naming the function", () => {
    tf.tidy(() => {
      expect(() => encode(blocks, model, tf.zeros([2, 3]))).toThrow("encode: src must be int32 [B, T], got float32 [2,3]");
      expect(() => encode(blocks, model, tf.zeros([2, 9], "int32"))).toThrow("longer than the model's maxLen = 8");
      expect(() => greedyDecode(blocks, model, tf.zeros([2, 3], "int32"), 0)).toThrow("greedyDecode: length");
    });
  });

  it("the decoder is causal: changing a later decoder token leaves earlier logits unchanged (and not without the mask)", () => {
    tf.tidy(() => {
      const batch = reverseBatch(2, 8, 9);
      const memory = encode(blocks, model, batch.src).memory;
      const changed = tf.tensor2d((batch.tgtIn.arraySync() as number[][]).map((r) => r.map((v, j) => (j === 5 ? (v + 3) % 10 : v))), [2, 8], "int32");
      const a = decode(blocks, model, memory, batch.tgtIn).logits;
      const b = decode(blocks, model, memory, changed).logits;
      expect(maxAbsDiff(a.slice([0, 0, 0], [2, 5, -1]), b.slice([0, 0, 0], [2, 5, -1]))).toBe(0);
      expect(maxAbsDiff(a.slice([0, 5, 0], [2, 3, -1]), b.slice([0, 5, 0], [2, 3, -1]))).toBeGreaterThan(1e-4);
      const ua = decode(blocks, model, memory, batch.tgtIn, { causal: false }).logits;
      const ub = decode(blocks, model, memory, changed, { causal: false }).logits;
      expect(maxAbsDiff(ua.slice([0, 0, 0], [2, 5, -1]), ub.slice([0, 0, 0], [2, 5, -1]))).toBeGreaterThan(1e-4);
    });
  });

  it("greedy decoding equals step-by-step argmax of the teacher-forced model on its own output", () => {
    const batch = reverseBatch(3, 5, 21);
    const out = greedyDecode(blocks, model, batch.src, 5);
    expect(out.shape).toEqual([3, 5]);
    expect(out.dtype).toBe("int32");
    const tokens = out.arraySync() as number[][];
    expect(tokens.flat().every((v) => v >= 0 && v <= 9)).toBe(true);
    // Feeding the greedy output back as the decoder input reproduces it (argmax over the digits).
    tf.tidy(() => {
      const tgtIn = tf.tensor2d(tokens.map((r) => [BOS, ...r.slice(0, -1)]), [3, 5], "int32");
      const logits = forward(blocks, model, batch.src, tgtIn).logits.slice([0, 0, 0], [3, 5, 10]);
      expect(tf.argMax(logits, -1).arraySync()).toEqual(tokens);
    });
    const acc = greedyAccuracy(blocks, model, batch);
    const expected = tokens.flat().filter((v, i) => v === (batch.tgtOut.arraySync() as number[][]).flat()[i]).length / 15;
    expect(acc.token).toBeCloseTo(expected, 6);
    out.dispose();
    disposeBatch(batch);
  });

  it("no leaks: forward, loss, gradients and greedy decoding free what they make", () => {
    const batch = reverseBatch(4, 8, 31);
    const run = () => {
      tf.dispose(forward(blocks, model, batch.src, batch.tgtIn) as unknown as tf.TensorContainer);
      tf.tidy(() => {
        tf.variableGrads(() => seq2seqLoss(blocks, model, batch), seq2seqVariables(model));
      });
      greedyDecode(blocks, model, batch.src, 8).dispose();
      greedyAccuracy(blocks, model, batch);
    };
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    const n = tf.memory().numTensors;
    disposeSeq2Seq(createSeq2Seq(blocks, config, 8));
    expect(tf.memory().numTensors).toBe(n);
  });

  it("every variable gets a gradient on wasm at the training batch size (no tf.gather; batchMatMul's single-matrix path)", () => {
    // 64 × 8 rows make the projections large enough for batchMatMul's wasm fast path, whose
    // unstack-based loop had no usable gradient for a single matrix.
    const batch = reverseBatch(64, 8, 33);
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => seq2seqLoss(blocks, model, batch), seq2seqVariables(model));
      const names = Object.keys(grads);
      expect(names.length).toBe(seq2seqVariables(model).length);
      expect(names.every((k) => Number.isFinite(tf.sum(tf.abs(grads[k])).dataSync()[0]))).toBe(true);
    });
    disposeBatch(batch);
  });
});
