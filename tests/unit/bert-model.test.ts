/**
 * The BERT-style model (lib/support/models/bert.ts): the fast path against the model built from
 * the reference exercise functions (solutions/), on the same injected parameters, with padded
 * rows: encoder outputs and attention weights, MLM and classifier logits, both losses and every
 * gradient to 1e-5 relative; the notebook helpers give the same answers both ways; no leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { crossEntropy as fastCrossEntropy } from "../../lib/support/fast/ops";
import {
  BertBlocks, BertConfig, bertEncodeFast, bertEncodeFrom, bertVariables, classifyFast, classifyFrom, clsAttention, copyBertWeights, createBert,
  disposeBert, keyValidOf, mlmLogitsFast, mlmLogitsFrom, mlmLossFast, mlmLossFrom, namedBertVariables, topMlmGuesses,
} from "../../lib/support/models/bert";
import { variablesOf } from "../../lib/support/models/params";
import { MASK_ID, PAD_ID } from "../../lib/support/tokenizers";
import { crossEntropy } from "../../lib/support/train";
import { classifierHead, clsPool, encoderForward, IGNORE_INDEX } from "../../solutions/bert";
import { layerNorm } from "../../solutions/blocks";
import { relErr } from "./compare";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

const blocks: BertBlocks = { encoderForward, clsPool, classifierHead, layerNorm };
const config: BertConfig = { vocabSize: 41, context: 12, d: 16, numHeads: 4, dff: 24, numLayers: 2, numClasses: 2 };

/** Randomises every bias and layer-norm parameter (and scales the embeddings up), so a dropped or swapped one shows. */
function jitter(params: ReturnType<typeof createBert>, seed: number): void {
  variablesOf(params).forEach((v, i) => {
    if (v.rank === 1) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", seed + i))));
  });
  for (const e of [params.encoder.tokenEmbedding, params.encoder.positionEmbedding] as tf.Variable[]) e.assign(tf.tidy(() => tf.mul(e, 40)));
}

/** Three rows of 10 positions: [CLS]=2 … [SEP]=3, then padding; one short row, one with [MASK]s. */
function batch(): { ids: tf.Tensor; labels: tf.Tensor; classes: tf.Tensor } {
  const rows = [
    [2, 11, 12, 13, 14, 15, 16, 17, 18, 3],
    [2, 20, MASK_ID, 22, 3, PAD_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID],
    [2, 30, 31, MASK_ID, MASK_ID, 34, 3, PAD_ID, PAD_ID, PAD_ID],
  ];
  const I = IGNORE_INDEX;
  const labels = [
    [I, I, 40, I, I, I, 7, I, I, I],
    [I, I, 21, I, I, I, I, I, I, I],
    [I, 9, I, 32, 33, I, I, I, I, I],
  ];
  return { ids: tf.tensor2d(rows, undefined, "int32"), labels: tf.tensor2d(labels, undefined, "int32"), classes: tf.tensor1d([1, 0, 1], "int32") };
}

describe("BERT model: fast path vs the reference exercise functions", () => {
  it("same encoder output, attention weights, MLM and class logits on injected weights", () => {
    const params = createBert(config, 3);
    jitter(params, 100);
    const { ids, labels, classes } = batch();
    tf.tidy(() => {
      const f = bertEncodeFast(params, ids);
      const r = bertEncodeFrom(blocks, params, ids);
      expect(relErr(f.output, r.output)).toBeLessThan(1e-5);
      expect(f.weights).toHaveLength(2);
      f.weights.forEach((w, i) => expect(relErr(w, r.weights[i]), `layer ${i}`).toBeLessThan(1e-5));
      // Padding is hidden: no query puts weight on a padded key.
      const w0 = r.weights[0].arraySync() as number[][][][];
      for (const head of w0[1]) for (const row of head) expect(row.slice(5).every((x) => x === 0)).toBe(true);
      expect(relErr(mlmLogitsFast(params, f.output), mlmLogitsFrom(blocks, params, r.output))).toBeLessThan(1e-5);
      expect(relErr(classifyFast(params, ids), classifyFrom(blocks, params, ids))).toBeLessThan(1e-5);
    });
    tf.dispose([ids, labels, classes]);
    disposeBert(params);
  });

  it("same MLM loss and classification loss, and the same gradient for every parameter", () => {
    const params = createBert(config, 4);
    jitter(params, 200);
    const { ids, labels, classes } = batch();
    const mlmVars = bertVariables(params, ["encoder", "mlm"]);
    const clsVars = bertVariables(params, ["encoder", "classifier"]);
    tf.tidy(() => {
      const cases: [string, tf.Variable[], () => tf.Scalar, () => tf.Scalar][] = [
        ["mlm", mlmVars, () => mlmLossFast(params, ids, labels), () => mlmLossFrom(blocks, params, ids, labels)],
        ["classifier", clsVars, () => fastCrossEntropy(classifyFast(params, ids), classes), () => crossEntropy(classifyFrom(blocks, params, ids), classes)],
      ];
      for (const [name, vars, fastLoss, refLoss] of cases) {
        const f = tf.variableGrads(fastLoss, vars);
        const r = tf.variableGrads(refLoss, vars);
        const lf = f.value.dataSync()[0];
        const lr = r.value.dataSync()[0];
        expect(Math.abs(lf - lr) / Math.abs(lr), name).toBeLessThan(1e-5);
        expect(lr).toBeGreaterThan(0.1);
        for (const v of vars) {
          // Key biases have an exact gradient of 0 (q·bk shifts a whole row of scores); compare them absolutely.
          const g = f.grads[v.name];
          const keyBiases = params.encoder.layers.map((l) => (l.selfAttn.bk as tf.Variable).name);
          if (keyBiases.includes(v.name)) {
            expect(tf.max(tf.abs(g)).dataSync()[0]).toBeLessThan(1e-5);
            continue;
          }
          expect(relErr(g, r.grads[v.name]), `${name}: ${v.name}`).toBeLessThan(1e-5);
          expect(tf.max(tf.abs(g)).dataSync()[0], `${name}: ${v.name} has a gradient`).toBeGreaterThan(0);
        }
      }
    });
    tf.dispose([ids, labels, classes]);
    disposeBert(params);
  });

  it("an MLM batch with nothing to score has loss 0 and zero gradients on both paths", () => {
    const params = createBert(config, 5);
    const { ids, classes } = batch();
    const none = tf.fill(ids.shape, IGNORE_INDEX, "int32");
    tf.tidy(() => {
      const vars = bertVariables(params, ["encoder", "mlm"]);
      const f = tf.variableGrads(() => mlmLossFast(params, ids, none), vars);
      expect(f.value.dataSync()[0]).toBe(0);
      expect(Object.keys(f.grads)).toHaveLength(vars.length);
      for (const g of Object.values(f.grads)) expect(tf.max(tf.abs(g)).dataSync()[0]).toBe(0);
      expect(Math.abs(mlmLossFrom(blocks, params, ids, none).dataSync()[0])).toBe(0);
    });
    tf.dispose([ids, none, classes]);
    disposeBert(params);
  });

  it("notebook helpers (top guesses, [CLS] attention) agree on both paths; no tensors left behind", () => {
    const params = createBert(config, 6);
    jitter(params, 300);
    const ids = [2, 11, MASK_ID, 13, MASK_ID, 3];
    // Warm up once (caches), then count.
    topMlmGuesses("fast", params, ids, [2, 4]);
    clsAttention("fast", params, ids);
    const before = tf.memory().numTensors;
    const fast = topMlmGuesses("fast", params, ids, [2, 4], 5);
    const ref = topMlmGuesses(blocks, params, ids, [2, 4], 5);
    expect(fast).toHaveLength(2);
    fast.forEach((g, i) => {
      expect(g.map((x) => x.id)).toEqual(ref[i].map((x) => x.id));
      g.forEach((x, j) => expect(x.probability).toBeCloseTo(ref[i][j].probability, 5));
      for (let j = 1; j < g.length; j++) expect(g[j].probability).toBeLessThanOrEqual(g[j - 1].probability);
    });
    const af = clsAttention("fast", params, ids);
    const ar = clsAttention(blocks, params, ids);
    expect(af).toHaveLength(2);
    expect(af[0]).toHaveLength(4);
    af.forEach((layer, l) => layer.forEach((head, h) => {
      expect(head.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      head.forEach((x, j) => expect(x).toBeCloseTo(ar[l][h][j], 5));
    }));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => topMlmGuesses("fast", params, ids, [6])).toThrow(/topMlmGuesses: position 6 is outside the sequence of 6 ids/);
    disposeBert(params);
  });

  it("forward passes and losses leave no tensors behind, also inside a caller's tidy; bad ids are explained", () => {
    const params = createBert(config, 7);
    const { ids, labels, classes } = batch();
    const run = () => tf.tidy(() => {
      mlmLossFast(params, ids, labels);
      mlmLossFrom(blocks, params, ids, labels);
      classifyFast(params, ids);
      classifyFrom(blocks, params, ids);
    });
    run();
    const before = tf.memory().numTensors;
    run();
    const kv = keyValidOf(ids);
    kv.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const long = tf.zeros([1, 13], "int32");
    expect(() => bertEncodeFast(params, long)).toThrow(/bertEncodeFast: ids \[1,13\] must have 1 to 12 positions \(the model's context\)/);
    expect(() => classifyFrom(blocks, params, tf.zeros([2, 4]))).toThrow(/bertEncodeFrom: ids must be an int32 tensor \[B, T\], got float32 \[2,4\]/);
    tf.dispose([ids, labels, classes, long]);
    disposeBert(params);
  });

  it("names every tensor once, by part; copies the encoder into a fresh model", () => {
    const a = createBert(config, 8);
    const b = createBert(config, 9);
    const names = namedBertVariables(a).map((n) => n.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("encoder.layers.1.selfAttn.wq");
    expect(names).toContain("mlm.bias");
    expect(names).toContain("classifier.output.w");
    expect(namedBertVariables(a, ["encoder", "classifier"]).some((n) => n.name.startsWith("mlm."))).toBe(false);
    copyBertWeights(a, b);
    tf.tidy(() => {
      expect(relErr(b.encoder.tokenEmbedding, a.encoder.tokenEmbedding)).toBe(0);
      expect(relErr(b.encoder.layers[1].ffn.w2, a.encoder.layers[1].ffn.w2)).toBe(0);
      expect(relErr(b.classifier.output.w, a.classifier.output.w)).toBeGreaterThan(0);
    });
    disposeBert(a);
    disposeBert(b);
  });
});
