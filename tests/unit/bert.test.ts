/**
 * Notebook 04's reference exercises (solutions/bert.ts): mlmMask's rates and rules on a large
 * batch, its determinism and its equality with the training pipeline's masking; clsPool,
 * classifierHead and encoderForward against hand-built compositions; padding handling; the
 * issue's awkward inputs (empty message, only unknown characters, over-long messages); clear
 * errors; no leaks, also inside a caller's tidy.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { createBert, disposeBert, mlmMaskIds } from "../../lib/support/models/bert";
import { CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_IDS, UNK_ID } from "../../lib/support/tokenizers";
import { encodeMessages } from "../../lib/support/tasks/spam";
import { embed } from "../../lib/support/train";
import { paddingMask } from "../../solutions/attention";
import { classifierHead, clsPool, encoderForward, IGNORE_INDEX, mlmMask } from "../../solutions/bert";
import { encoderLayer, layerNorm } from "../../solutions/blocks";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

const V = 300;
const opts = (seed: number, rate?: number) => ({ maskId: MASK_ID, vocabSize: V, seed, specialIds: SPECIAL_IDS, ...(rate === undefined ? {} : { rate }) });

/** Rows [CLS] tokens [SEP] [PAD]…, lengths varying, tokens 7..V-1 (an LCG, no tfjs randomness). */
function bigBatch(rows: number, t: number): { ids: number[][]; flat: Int32Array } {
  let s = 99;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8;
  const ids = Array.from({ length: rows }, () => {
    const len = 2 + (next() % (t - 1));
    return Array.from({ length: t }, (_, j) => (j === 0 ? CLS_ID : j === len - 1 ? SEP_ID : j >= len ? PAD_ID : 7 + (next() % (V - 7))));
  });
  return { ids, flat: Int32Array.from(ids.flat()) };
}

describe("mlmMask (4.1 reference)", () => {
  it("chooses 15% of the non-special positions, 80/10/10, labels only there, random tokens never special", () => {
    const { ids } = bigBatch(400, 64);
    const input = tf.tensor2d(ids, undefined, "int32");
    const { inputs, labels } = mlmMask(input, opts(11));
    expect(inputs.dtype).toBe("int32");
    expect(labels.shape).toEqual([400, 64]);
    const inp = inputs.arraySync() as number[][];
    const lab = labels.arraySync() as number[][];
    let eligible = 0, chosen = 0, masked = 0, kept = 0, random = 0;
    ids.forEach((row, b) => row.forEach((id, j) => {
      const special = SPECIAL_IDS.includes(id);
      if (!special) eligible++;
      if (lab[b][j] === IGNORE_INDEX) {
        expect(inp[b][j]).toBe(id); // untouched where nothing is scored
        return;
      }
      expect(special).toBe(false);
      expect(lab[b][j]).toBe(id);
      chosen++;
      if (inp[b][j] === MASK_ID) masked++;
      else if (inp[b][j] === id) kept++;
      else {
        random++;
        expect(SPECIAL_IDS.includes(inp[b][j])).toBe(false);
        expect(inp[b][j]).toBeGreaterThanOrEqual(0);
        expect(inp[b][j]).toBeLessThan(V);
      }
    }));
    expect(eligible).toBeGreaterThan(10_000);
    expect(Math.abs(chosen / eligible - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(masked / chosen - 0.8)).toBeLessThan(0.02);
    // "kept" also catches random draws that hit the original token (1 in 293): ≈ 10% + a little.
    expect(Math.abs(kept / chosen - 0.1)).toBeLessThan(0.015);
    expect(Math.abs(random / chosen - 0.1)).toBeLessThan(0.015);
    tf.dispose([input, inputs, labels]);
  });

  it("is deterministic, follows the seed and the rate, and equals the training pipeline's masking exactly", () => {
    const { ids, flat } = bigBatch(40, 32);
    const input = tf.tensor2d(ids, undefined, "int32");
    const a = mlmMask(input, opts(5));
    const b = mlmMask(input, opts(5));
    const c = mlmMask(input, opts(6));
    expect(a.inputs.arraySync()).toEqual(b.inputs.arraySync());
    expect(a.labels.arraySync()).toEqual(b.labels.arraySync());
    expect(c.labels.arraySync()).not.toEqual(a.labels.arraySync());
    for (const [seed, rate] of [[5, undefined], [6, undefined], [123, 0.4], [7, 1]] as const) {
      const ref = seed === 5 && rate === undefined ? a : mlmMask(input, opts(seed, rate));
      const pipe = mlmMaskIds(flat, [40, 32], opts(seed, rate));
      expect(Array.from(pipe.inputs)).toEqual(Array.from(ref.inputs.dataSync()));
      expect(Array.from(pipe.labels)).toEqual(Array.from(ref.labels.dataSync()));
      if (ref !== a) tf.dispose([ref.inputs, ref.labels]);
    }
    // rate 1: every eligible position is chosen.
    const all = mlmMask(input, opts(9, 1));
    const lab = all.labels.arraySync() as number[][];
    ids.forEach((row, r) => row.forEach((id, j) => expect(lab[r][j] === IGNORE_INDEX).toBe(SPECIAL_IDS.includes(id))));
    expect(input.arraySync()).toEqual(ids); // the input is untouched
    tf.dispose([input, a.inputs, a.labels, b.inputs, b.labels, c.inputs, c.labels, all.inputs, all.labels]);
  });

  it("a row of only specials or padding has nothing to score; no leaks, also in a caller's tidy", () => {
    const input = tf.tensor2d([[CLS_ID, SEP_ID, PAD_ID, PAD_ID], [CLS_ID, UNK_ID, SEP_ID, PAD_ID]], undefined, "int32");
    const warm = mlmMask(input, opts(3, 1));
    tf.dispose([warm.inputs, warm.labels]);
    const before = tf.memory().numTensors;
    const r = mlmMask(input, opts(3, 1));
    expect(r.labels.arraySync()).toEqual([[-100, -100, -100, -100], [-100, -100, -100, -100]]);
    expect(r.inputs.arraySync()).toEqual(input.arraySync());
    tf.dispose([r.inputs, r.labels]);
    tf.tidy(() => { mlmMask(input, opts(3)); });
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
  });

  it("rejects bad input with errors naming mlmMask and the value", () => {
    const ok = tf.tensor2d([[2, 10, 3]], undefined, "int32");
    const f = tf.tensor2d([[2, 10, 3]]);
    const big = tf.tensor2d([[2, 400, 3]], undefined, "int32");
    expect(() => mlmMask(f, opts(1))).toThrow(/mlmMask: argument "ids" \[B, T\] must have dtype int32, got float32/);
    expect(() => mlmMask(tf.tensor1d([1, 2], "int32"), opts(1))).toThrow(/mlmMask: argument "ids" \[B, T\] must have rank 2/);
    expect(() => mlmMask(big, opts(1))).toThrow("mlmMask: ids[0, 1] is 400, not an id in [0, 300) (ids [1,3])");
    expect(() => mlmMask(ok, opts(0))).toThrow(/mlmMask: argument "options.seed" must be an integer >= 1, got number 0/);
    expect(() => mlmMask(ok, opts(1, 0))).toThrow('mlmMask: option "rate" must be a number in (0, 1], got 0');
    expect(() => mlmMask(ok, opts(1, 1.5))).toThrow('mlmMask: option "rate" must be a number in (0, 1], got 1.5');
    expect(() => mlmMask(ok, { ...opts(1), maskId: 300 })).toThrow(/mlmMask: argument "options.maskId" must be an integer in \[0, 299\]/);
    expect(() => mlmMask(ok, { ...opts(1), specialIds: undefined as never })).toThrow(/mlmMask: option "specialIds" must be an array/);
    const tiny = tf.tensor2d([[0, 1, 0]], undefined, "int32");
    expect(() => mlmMask(tiny, { maskId: 1, vocabSize: 2, seed: 1, specialIds: [0] })).toThrow(/no regular token to draw/);
    tiny.dispose();
    expect(() => mlmMask(ok, null as never)).toThrow(/mlmMask: argument "options" must be an object/);
    tf.dispose([ok, f, big]);
  });
});

describe("clsPool, classifierHead (4.2, 4.3 references)", () => {
  it("clsPool takes position 0 of every row", () => {
    const h = tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    const p = clsPool(h);
    expect(p.arraySync()).toEqual([[1, 2], [7, 8]]);
    expect(() => clsPool(tf.zeros([2, 0, 4]))).toThrow(/clsPool: hidden \[2,0,4\] has no positions/);
    expect(() => clsPool(tf.zeros([2, 4]))).toThrow(/clsPool: argument "hidden" \[B, T, d\] must have rank 3, got shape \[2,4\]/);
    tf.dispose([h, p]);
  });

  it("classifierHead = tanh(pooled·W + b)·W' + b'", () => {
    const pooled = tf.tensor2d([[0.5, -1, 2], [0, 1, -0.5]]);
    const params = {
      pooler: { w: tf.tensor2d([[1, 0, 0.5], [0, 2, 0], [-1, 0, 1]]), b: tf.tensor1d([0.1, -0.2, 0.3]) },
      output: { w: tf.tensor2d([[1, -1], [0.5, 0.5], [2, 0]]), b: tf.tensor1d([0.25, -0.25]) },
    };
    const logits = classifierHead(params, pooled).arraySync() as number[][];
    const x = pooled.arraySync() as number[][];
    const w1 = params.pooler.w.arraySync() as number[][];
    const b1 = [0.1, -0.2, 0.3];
    const w2 = params.output.w.arraySync() as number[][];
    const b2 = [0.25, -0.25];
    x.forEach((row, r) => {
      const h = b1.map((bj, j) => Math.tanh(bj + row.reduce((s, xi, i) => s + xi * w1[i][j], 0)));
      b2.forEach((bc, c) => expect(logits[r][c]).toBeCloseTo(bc + h.reduce((s, hj, j) => s + hj * w2[j][c], 0), 5));
    });
    expect(() => classifierHead({ ...params, output: { w: tf.zeros([4, 2]), b: tf.zeros([2]) } }, pooled)).toThrow(/classifierHead: params.output.w \[4,2\] must have 3 rows/);
    expect(() => classifierHead({ ...params, output: { w: params.output.w, b: tf.zeros([3]) } }, pooled)).toThrow(/classifierHead: params.output.b \[3\] must be \[2\]/);
    expect(() => classifierHead(params, tf.zeros([2, 4]))).toThrow(/classifierHead: params.pooler.w \[3,3\] must have 4 rows/);
    tf.dispose([pooled, params.pooler.w, params.pooler.b, params.output.w, params.output.b]);
  });
});

describe("encoderForward (4.4 reference)", () => {
  const config = { vocabSize: 50, context: 10, d: 16, numHeads: 2, dff: 32, numLayers: 2, numClasses: 2 };

  it("equals embeddings + the encoder layers + the final norm; padding changes nothing at real positions", () => {
    const params = createBert(config, 2);
    const ids = tf.tensor2d([[2, 11, 12, 13, 3, 0, 0], [2, 20, 21, 22, 23, 24, 3]], undefined, "int32");
    const mask = paddingMask([5, 7], 7);
    tf.tidy(() => {
      const r = encoderForward(params.encoder, ids, mask);
      let x = tf.add(embed(params.encoder.tokenEmbedding, ids), tf.slice(params.encoder.positionEmbedding, [0, 0], [7, 16]));
      const weights: tf.Tensor[] = [];
      for (const layer of params.encoder.layers) {
        const l = encoderLayer(layer, x, mask);
        x = l.output;
        weights.push(l.selfWeights);
      }
      const expected = layerNorm(x, params.encoder.finalNorm.gamma, params.encoder.finalNorm.beta);
      expect(r.output.shape).toEqual([2, 7, 16]);
      expect(tf.max(tf.abs(tf.sub(r.output, expected))).dataSync()[0]).toBeLessThan(1e-6);
      expect(r.weights).toHaveLength(2);
      r.weights.forEach((w, i) => expect(tf.max(tf.abs(tf.sub(w, weights[i]))).dataSync()[0]).toBeLessThan(1e-6));
      // Different content in the padding leaves the real positions' outputs alone (with the mask) …
      const other = tf.tensor2d([[2, 11, 12, 13, 3, 40, 41], [2, 20, 21, 22, 23, 24, 3]], undefined, "int32");
      const r2 = encoderForward(params.encoder, other, mask);
      const real = (t: tf.Tensor) => tf.slice(t, [0, 0, 0], [1, 5, 16]);
      expect(tf.max(tf.abs(tf.sub(real(r2.output), real(r.output)))).dataSync()[0]).toBeLessThan(1e-6);
      // … and changes them without it.
      const r3 = encoderForward(params.encoder, other);
      expect(tf.max(tf.abs(tf.sub(real(r3.output), real(r.output)))).dataSync()[0]).toBeGreaterThan(1e-3);
    });
    // No leaks, a second call gives the same numbers.
    const first = encoderForward(params.encoder, ids, mask);
    const before = tf.memory().numTensors;
    const second = encoderForward(params.encoder, ids, mask);
    expect(tf.memory().numTensors).toBe(before + 3); // output and two weight tensors
    expect(Array.from(second.output.dataSync())).toEqual(Array.from(first.output.dataSync()));
    tf.dispose([first.output, ...first.weights, second.output, ...second.weights, ids, mask]);
    disposeBert(params);
  });

  it("runs an empty message, a message of unknown characters and an over-long one (cut, counted) without NaN", () => {
    const params = createBert({ ...config, vocabSize: 3000, context: 128 }, 3);
    const texts = ["", "\u{1F600}\u{1F601} \u{1F602}", "buy now ".repeat(300), "hello there"];
    const batch = encodeMessages(texts);
    expect(batch.shape).toEqual([4, 128]);
    expect(Array.from(batch.ids.subarray(0, 3))).toEqual([CLS_ID, SEP_ID, PAD_ID]);
    expect(Array.from(batch.ids.subarray(128, 128 + batch.lengths[1]))).toContain(UNK_ID);
    expect(batch.truncated).toBe(1);
    expect(batch.truncatedRows).toEqual([2]);
    expect(batch.lengths[2]).toBe(128);
    expect(batch.ids[2 * 128 + 127]).toBe(SEP_ID);
    tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, batch.shape, "int32");
      const mask = paddingMask(batch.lengths, 128);
      const r = encoderForward(params.encoder, ids, mask);
      expect(r.output.dataSync().every(Number.isFinite)).toBe(true);
      expect(classifierHead(params.classifier, clsPool(r.output)).dataSync().every(Number.isFinite)).toBe(true);
    });
    disposeBert(params);
  });

  it("explains bad input: float ids, too long, ids outside the vocabulary, a wrong mask, broken params", () => {
    const params = createBert(config, 4);
    const ids = tf.tensor2d([[2, 5, 3]], undefined, "int32");
    expect(() => encoderForward(params.encoder, tf.tensor2d([[2, 5, 3]]))).toThrow(/encoderForward: argument "ids" \[B, T\] must have dtype int32/);
    expect(() => encoderForward(params.encoder, tf.zeros([1, 11], "int32"))).toThrow("encoderForward: ids [1,11] has 11 positions, more than the model's 10 (params.positionEmbedding [10,16]); cut longer messages when encoding (encodeBatch's contextLength)");
    expect(() => encoderForward(params.encoder, tf.tensor2d([[2, 50, 3]], undefined, "int32"))).toThrow("encoderForward: ids[0, 1] is 50, not an id in [0, 50) (ids [1,3])");
    expect(() => encoderForward(params.encoder, ids, tf.ones([1, 1, 4]))).toThrow("encoderForward: paddingMask [1,1,4] does not broadcast to the attention scores [B, T, T] [1,3,3]");
    expect(() => encoderForward({ ...params.encoder, positionEmbedding: tf.zeros([10, 8]) }, ids)).toThrow(/encoderForward: params.positionEmbedding \[10,8\] must have d = 16 columns/);
    expect(() => encoderForward({ ...params.encoder, layers: undefined as never }, ids)).toThrow(/encoderForward: argument "params" must be an object/);
    const broken = { ...params.encoder.layers[0], norm1: { gamma: tf.zeros([8]), beta: params.encoder.layers[0].norm1.beta } };
    expect(() => encoderForward({ ...params.encoder, layers: [broken] }, ids)).toThrow(/encoderForward \(params.layers\[0\]\): encoderLayer \(params.norm1\): layerNorm: gamma \[8\] must be \[d\] = \[16\]/);
    ids.dispose();
    disposeBert(params);
  });
});
