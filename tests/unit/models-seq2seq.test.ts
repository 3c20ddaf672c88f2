/**
 * The encoder-decoder family (lib/support/models/seq2seq.ts) with separate source/target
 * vocabularies and source padding, as notebook 06 uses it: the fast path against the model
 * built from the reference blocks on the same injected weights (logits, loss, gradients), the
 * cached decoding step against the full teacher-forced pass, both DecodingModels against each
 * other, and no leaks. (The toy configuration of notebook 03 is tested in seq2seq.test.ts.)
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relErr } from "./compare";
import { setupBackend } from "../../lib/support/backend";
import { crossEntropy as fastCrossEntropy } from "../../lib/support/fast/ops";
import { sinusoidalTable, variablesOf } from "../../lib/support/models/params";
import {
  createSeq2Seq, decodingModel, decodingModelFast, disposeSeq2Seq, encode, encodeFast, forward, forwardFast,
  namedSeq2SeqVariables, Seq2SeqBlocks, Seq2SeqConfig, Seq2SeqModel, seq2seqVariables,
} from "../../lib/support/models/seq2seq";
import { selectStateRows } from "../../lib/support/models/decoding";
import { crossEntropy } from "../../lib/support/train";
import { causalMask } from "../../solutions/attention";
import { decoderLayer, encoderLayer, layerNorm } from "../../solutions/blocks";
import { beamSearch, greedyDecode } from "../../solutions/decoding";
import { sinusoidalPositionalEncoding } from "../../solutions/multihead";

const blocks: Seq2SeqBlocks = { layerNorm, encoderLayer, decoderLayer, causalMask, sinusoidalPositionalEncoding };
const config: Seq2SeqConfig = { vocabSize: 19, srcVocabSize: 13, d: 16, numHeads: 2, dff: 24, numLayers: 2, maxLen: 12, srcPadId: 0 };
const TOKENS = { bosId: 5, eosId: 6, padId: 0 };
let model: Seq2SeqModel;


/** Sources of lengths [6, 3, 5] padded with 0 to 6; decoder inputs BOS + ids, padded to 5. */
function batch() {
  const src = tf.tensor2d([[7, 8, 9, 10, 11, 12], [9, 3, 4, 0, 0, 0], [12, 11, 1, 2, 7, 0]], [3, 6], "int32");
  const tgtIn = tf.tensor2d([[5, 7, 8, 9, 10], [5, 12, 0, 0, 0], [5, 18, 17, 16, 0]], [3, 5], "int32");
  const tgtOut = tf.tensor2d([[7, 8, 9, 10, 6], [12, 6, 0, 0, 0], [18, 17, 16, 6, 0]], [3, 5], "int32");
  return { src, tgtIn, tgtOut };
}

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
  model = createSeq2Seq(blocks, config, 5);
  // Random biases and layer norms, so a swapped or dropped one shows.
  variablesOf(model).forEach((v, i) => {
    if (v.rank === 1) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", 100 + i))));
  });
});

afterAll(() => disposeSeq2Seq(model));

describe("encoder-decoder with its own source vocabulary and padding", () => {
  it("has a source table, names every variable once, and the support positions equal exercise 2.4's", () => {
    expect(model.srcEmbedding?.shape).toEqual([13, 16]);
    expect(model.embedding.shape).toEqual([19, 16]);
    const names = namedSeq2SeqVariables(model).map((n) => n.name);
    expect(names.slice(0, 3)).toEqual(["embedding", "srcEmbedding", "outBias"]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(seq2seqVariables(model).length);
    tf.tidy(() => {
      expect(relErr(sinusoidalTable(12, 16), sinusoidalPositionalEncoding(12, 16))).toBeLessThan(1e-6);
    });
    const viaSupport = createSeq2Seq(undefined, config, 5);
    tf.tidy(() => {
      expect(relErr(viaSupport.positions, model.positions)).toBeLessThan(1e-6);
    });
    disposeSeq2Seq(viaSupport);
  });

  it("fast path = reference blocks: logits, loss and every gradient (padding masked)", () => {
    const { src, tgtIn, tgtOut } = batch();
    tf.tidy(() => {
      expect(relErr(forwardFast(model, src, tgtIn), forward(blocks, model, src, tgtIn).logits)).toBeLessThan(1e-5);
      expect(relErr(encodeFast(model, src), encode(blocks, model, src).memory)).toBeLessThan(1e-5);
      const vars = seq2seqVariables(model);
      const f = tf.variableGrads(() => fastCrossEntropy(forwardFast(model, src, tgtIn), tgtOut, 0), vars);
      const r = tf.variableGrads(() => crossEntropy(forward(blocks, model, src, tgtIn).logits, tgtOut, 0), vars);
      expect(Math.abs(f.value.dataSync()[0] - r.value.dataSync()[0])).toBeLessThan(1e-5);
      const names = new Map(namedSeq2SeqVariables(model).map((n) => [n.variable.name, n.name]));
      for (const v of vars) {
        if (names.get(v.name)!.endsWith("Attn.bk")) continue; // exact gradient 0: only rounding noise
        expect(relErr(f.grads[v.name], r.grads[v.name]), names.get(v.name)).toBeLessThan(1e-5);
      }
    });
    tf.dispose([src, tgtIn, tgtOut]);
  });

  it("padding is invisible: a word's logits do not depend on how far it is padded or what its batch-mates are", () => {
    tf.tidy(() => {
      const short = tf.tensor2d([[9, 3, 4]], [1, 3], "int32");
      const padded = tf.tensor2d([[9, 3, 4, 0, 0, 0, 0]], [1, 7], "int32");
      const tgtIn = tf.tensor2d([[5, 12, 11]], [1, 3], "int32");
      expect(relErr(forwardFast(model, padded, tgtIn), forwardFast(model, short, tgtIn))).toBeLessThan(1e-5);
      expect(relErr(forward(blocks, model, padded, tgtIn).logits, forward(blocks, model, short, tgtIn).logits)).toBeLessThan(1e-5);
      const { src, tgtIn: t3 } = batch();
      const alone = forwardFast(model, tf.slice(src, [1, 0], [1, 3]), tf.slice(t3, [1, 0], [1, 5]));
      expect(relErr(tf.slice(forwardFast(model, src, t3), [1, 0, 0], [1, 5, -1]), alone)).toBeLessThan(1e-5);
    });
  });

  it("each decoding step's log-probabilities equal the teacher-forced pass at that position (plain and cached fast)", () => {
    const { src, tgtIn } = batch();
    const expected = tf.tidy(() => tf.logSoftmax(forward(blocks, model, src, tgtIn).logits)); // [3, 5, V]
    for (const dm of [decodingModel(blocks, model, TOKENS), decodingModelFast(model, TOKENS)]) {
      let state = dm.start(src);
      const columns = tf.unstack(tgtIn, 1);
      columns.forEach((col, t) => {
        const { logProbs, state: next } = dm.step(state, col);
        tf.dispose(Object.values(state));
        state = next;
        tf.tidy(() => {
          expect(relErr(logProbs, tf.reshape(tf.slice(expected, [0, t, 0], [-1, 1, -1]), [3, -1]))).toBeLessThan(1e-5);
        });
        logProbs.dispose();
      });
      // selectRows: row 0 twice and row 2, one more step equals stepping those rows alone
      const picked = dm.selectRows(state, [0, 0, 2]);
      const one = dm.step(picked, tf.tensor1d([7, 7, 7], "int32"));
      const all = dm.step(state, tf.tensor1d([7, 7, 7], "int32"));
      tf.tidy(() => {
        expect(relErr(one.logProbs, tf.gather(all.logProbs, [0, 0, 2]))).toBeLessThan(1e-5);
      });
      tf.dispose([...Object.values(state), ...Object.values(picked), one.logProbs, ...Object.values(one.state), all.logProbs, ...Object.values(all.state), ...columns]);
    }
    tf.dispose([expected, src, tgtIn]);
  });

  it("greedy and beam search give the same outputs through both DecodingModels; beam 1 = greedy", () => {
    const { src } = batch();
    const plain = decodingModel(blocks, model, TOKENS);
    const quick = decodingModelFast(model, TOKENS);
    const g1 = greedyDecode(plain, src, 10);
    const g2 = greedyDecode(quick, src, 10);
    expect(g2.arraySync()).toEqual(g1.arraySync());
    const b1 = beamSearch(quick, src, { beamWidth: 1, maxLen: 10 });
    expect(b1.tokens.arraySync()).toEqual(g1.arraySync());
    const b3 = beamSearch(plain, src, { beamWidth: 3, maxLen: 10 });
    const b3f = beamSearch(quick, src, { beamWidth: 3, maxLen: 10 });
    expect(b3f.tokens.arraySync()).toEqual(b3.tokens.arraySync());
    b3.hypotheses.forEach((hs, i) => hs.forEach((h, j) => expect(b3f.hypotheses[i][j].logProb).toBeCloseTo(h.logProb, 4)));
    tf.dispose([src, g1, g2, b1.tokens, b3.tokens, b3f.tokens]);
  });

  it("no leaks: training step, decoding with either model, and a second identical call", () => {
    const { src, tgtIn, tgtOut } = batch();
    const quick = decodingModelFast(model, TOKENS);
    const plain = decodingModel(blocks, model, TOKENS);
    const run = () => {
      tf.tidy(() => {
        tf.variableGrads(() => fastCrossEntropy(forwardFast(model, src, tgtIn), tgtOut, 0), seq2seqVariables(model));
      });
      greedyDecode(quick, src, 8).dispose();
      greedyDecode(plain, src, 8).dispose();
      beamSearch(quick, src, { beamWidth: 2, maxLen: 8 }).tokens.dispose();
      tf.dispose(forward(blocks, model, src, tgtIn) as unknown as tf.TensorContainer);
    };
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([src, tgtIn, tgtOut]);
  });

  it("rejects bad calls with messages naming the function", () => {
    const quick = decodingModelFast(model, TOKENS);
    tf.tidy(() => {
      const src = tf.tensor2d([[7, 8]], [1, 2], "int32");
      const state = quick.start(src);
      expect(() => quick.step(state, tf.tensor1d([5, 5], "int32"))).toThrow("decodingModelFast.step: tokens must be int32 [N] with N = 1");
      expect(() => quick.selectRows(state, [1])).toThrow("decodingModelFast.selectRows: rows must be a non-empty array of integers in [0, 1)");
      expect(() => quick.step({}, tf.tensor1d([5], "int32"))).toThrow("decodingModelFast.step: the state must be the object of tensors");
      expect(() => forwardFast(model, src, tf.zeros([1, 13], "int32"))).toThrow("longer than the model's maxLen = 12");
    });
  });
});

describe("selectStateRows (lib/support/models/decoding.ts), every DecodingModel's selectRows", () => {
  it("equals tf.gather along the first axis byte for byte (float32, int32, bool; ranks 1-4; rows repeated, reordered, dropped), without leaks", () => {
    tf.tidy(() => {
      const state = {
        a: tf.randomNormal([5, 3, 4], 0, 1, "float32", 3),
        b: tf.tensor1d([4, -2, 7, 0, 9], "int32"),
        c: tf.tensor2d([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]], [5, 2], "bool"),
        d: tf.randomNormal([5, 2, 1, 3], 0, 1, "float32", 4),
      };
      for (const rows of [[0, 1, 2, 3, 4], [4, 4, 0], [2], [3, 1, 1, 0, 2, 4, 4]]) {
        const before = tf.memory().numTensors;
        const picked = selectStateRows("test", state, rows);
        expect(tf.memory().numTensors - before).toBe(4); // the four results, nothing else
        const index = tf.tensor1d(rows, "int32");
        for (const [k, t] of Object.entries(state)) {
          const want = tf.gather(t, index);
          expect([picked[k].dtype, picked[k].shape], `${k} rows ${rows}`).toEqual([want.dtype, want.shape]);
          expect(Buffer.from((picked[k].dataSync() as Float32Array).buffer).equals(Buffer.from((want.dataSync() as Float32Array).buffer)), `${k} rows ${rows}`).toBe(true);
        }
      }
      expect(() => selectStateRows("test", state, [5])).toThrow("test: rows must be a non-empty array of integers in [0, 5)");
    });
  });
});
