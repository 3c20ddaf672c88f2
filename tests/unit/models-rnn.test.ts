/**
 * The GRU layer and the fixed-context GRU encoder-decoder (lib/support/models/rnn.ts): the plain
 * layer against PyTorch's nn.GRU (committed fixtures), the fast path against the plain one
 * (states, logits, loss, gradients), the decoding model against teacher forcing, padding, and
 * no leaks.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relErr } from "./compare";
import { setupBackend } from "../../lib/support/backend";
import { crossEntropy as fastCrossEntropy } from "../../lib/support/fast/ops";
import { SeedSequence, variablesOf } from "../../lib/support/models/params";
import {
  createGruSeq2Seq, disposeGruSeq2Seq, gruCell, gruDecodingModel, gruEncode, gruForward, gruForwardFast, gruLayer, gruLayerFast,
  GruParams, GruSeq2SeqParams, gruSeq2SeqVariables, namedGruSeq2SeqVariables, newGruParams,
} from "../../lib/support/models/rnn";
import { crossEntropy } from "../../lib/support/train";
import { beamSearch, greedyDecode } from "../../solutions/decoding";
import { toTensor, toTensors, type JsonTensor } from "../fixtures/pytorch";

const TOKENS = { bosId: 5, eosId: 6, padId: 0 };
let model: GruSeq2SeqParams;


beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
  model = createGruSeq2Seq({ srcVocabSize: 13, vocabSize: 19, embed: 6, hidden: 8, maxLen: 10, srcPadId: 0 }, 3);
  variablesOf(model).forEach((v, i) => {
    if (v.rank === 1) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.3, "float32", 50 + i))));
  });
});

afterAll(() => disposeGruSeq2Seq(model));

function batch() {
  const src = tf.tensor2d([[7, 8, 9, 10, 11, 12], [9, 3, 4, 0, 0, 0], [12, 11, 1, 2, 7, 0]], [3, 6], "int32");
  const tgtIn = tf.tensor2d([[5, 7, 8, 9, 10], [5, 12, 0, 0, 0], [5, 18, 17, 16, 0]], [3, 5], "int32");
  const tgtOut = tf.tensor2d([[7, 8, 9, 10, 6], [12, 6, 0, 0, 0], [18, 17, 16, 6, 0]], [3, 5], "int32");
  return { src, tgtIn, tgtOut };
}

describe("GRU layer", () => {
  type Case = { name: string; params: Record<keyof GruParams, JsonTensor>; x: JsonTensor; h0?: JsonTensor; valid?: JsonTensor; states?: JsonTensor; final: JsonTensor };
  const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "pytorch-gru.json"), "utf8")) as { meta: { torch: string }; gru: Case[] };

  it.each(fixtures.gru.map((c) => [c.name, c] as const))("equals PyTorch's nn.GRU: %s (plain and fast)", (_n, c) => {
    expect(fixtures.meta.torch).toMatch(/^\d+\.\d+/);
    tf.tidy(() => {
      const params = toTensors(c.params) as GruParams;
      const opts = { h0: c.h0 && toTensor(c.h0), valid: c.valid && toTensor(c.valid) };
      for (const layer of [gruLayer, gruLayerFast]) {
        const r = layer(params, toTensor(c.x), opts);
        expect(relErr(r.final, toTensor(c.final))).toBeLessThan(1e-5);
        if (c.states) expect(relErr(r.states, toTensor(c.states))).toBeLessThan(1e-5);
      }
      // one step of gruCell is the first state
      if (!c.valid) {
        const h0 = opts.h0 ?? tf.zeros([c.x.shape[0], c.final.shape[1]]);
        const first = gruCell(params, tf.reshape(tf.slice(toTensor(c.x), [0, 0, 0], [-1, 1, -1]), [c.x.shape[0], -1]), h0);
        expect(relErr(first, tf.reshape(tf.slice(gruLayer(params, toTensor(c.x), opts).states, [0, 0, 0], [-1, 1, -1]), first.shape))).toBeLessThan(1e-6);
      }
    });
  });

  it("fast layer = plain layer: states and gradients to x, h0 and every weight, with padding", () => {
    const p = newGruParams(5, 7, new SeedSequence(9));
    variablesOf(p).forEach((v, i) => {
      if (v.rank === 1) v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.5, "float32", 70 + i)));
    });
    tf.tidy(() => {
      const x = tf.randomNormal([3, 6, 5], 0, 1, "float32", 4);
      const h0 = tf.randomNormal([3, 7], 0, 1, "float32", 5);
      const valid = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]]);
      const loss = (layer: typeof gruLayer) => (xx: tf.Tensor, hh: tf.Tensor) => {
        const r = layer(p, xx, { h0: hh, valid });
        return tf.add(tf.sum(tf.sin(r.states)), tf.sum(tf.square(r.final))) as tf.Scalar;
      };
      const vars = variablesOf(p);
      const [gxF, ghF] = tf.grads(loss(gruLayerFast))([x, h0]);
      const [gxP, ghP] = tf.grads(loss(gruLayer))([x, h0]);
      expect(relErr(gxF, gxP)).toBeLessThan(1e-5);
      expect(relErr(ghF, ghP)).toBeLessThan(1e-5);
      const f = tf.variableGrads(() => loss(gruLayerFast)(x, h0), vars);
      const r = tf.variableGrads(() => loss(gruLayer)(x, h0), vars);
      for (const v of vars) expect(relErr(f.grads[v.name], r.grads[v.name])).toBeLessThan(1e-5);
    });
    tf.dispose(variablesOf(p));
  });

  it("a one-step sequence: plain = fast, gradients included (tfjs's unstack gradient fails on one step)", () => {
    const p = newGruParams(4, 3, new SeedSequence(11));
    tf.tidy(() => {
      const x = tf.randomNormal([2, 1, 4], 0, 1, "float32", 6);
      const loss = (layer: typeof gruLayer) => (xx: tf.Tensor) => tf.sum(tf.sin(layer(p, xx).states)) as tf.Scalar;
      expect(relErr(gruLayer(p, x).states, gruLayerFast(p, x).states)).toBeLessThan(1e-6);
      const [gP] = tf.grads(loss(gruLayer))([x]);
      const [gF] = tf.grads(loss(gruLayerFast))([x]);
      expect(relErr(gF, gP)).toBeLessThan(1e-5);
    });
    tf.dispose(variablesOf(p));
  });

  it("rejects mismatched shapes naming the function", () => {
    const p = newGruParams(5, 7, new SeedSequence(9));
    tf.tidy(() => {
      expect(() => gruLayer(p, tf.zeros([2, 3, 4]))).toThrow("gruLayer: x [2,3,4] has din = 4, params.wx [5,21] expects 5");
      expect(() => gruLayerFast(p, tf.zeros([2, 3, 5]), { h0: tf.zeros([2, 6]) })).toThrow("gruLayerFast: h0 [2,6] must be [B, h] = [2,7]");
      expect(() => gruLayer(p, tf.zeros([2, 3, 5]), { valid: tf.zeros([2, 4]) })).toThrow("valid [2,4] must be [B, T] = [2,3]");
      expect(() => gruLayer({ ...p, bh: tf.zeros([5]) }, tf.zeros([2, 3, 5]))).toThrow("gruLayer: params.bh must be [21]");
    });
    tf.dispose(variablesOf(p));
  });
});

describe("GRU encoder-decoder with a fixed context vector", () => {
  it("fast = plain: logits, loss and every gradient", () => {
    const { src, tgtIn, tgtOut } = batch();
    tf.tidy(() => {
      expect(relErr(gruForwardFast(model, src, tgtIn), gruForward(model, src, tgtIn))).toBeLessThan(1e-5);
      const vars = gruSeq2SeqVariables(model);
      const f = tf.variableGrads(() => fastCrossEntropy(gruForwardFast(model, src, tgtIn), tgtOut, 0), vars);
      const r = tf.variableGrads(() => crossEntropy(gruForward(model, src, tgtIn), tgtOut, 0), vars);
      expect(Math.abs(f.value.dataSync()[0] - r.value.dataSync()[0])).toBeLessThan(1e-5);
      const names = new Map(namedGruSeq2SeqVariables(model).map((n) => [n.variable.name, n.name]));
      for (const v of vars) expect(relErr(f.grads[v.name], r.grads[v.name]), names.get(v.name)).toBeLessThan(1e-5);
    });
    tf.dispose([src, tgtIn, tgtOut]);
  });

  it("the context vector is the encoder's state after the last real letter: padding changes nothing", () => {
    tf.tidy(() => {
      const a = tf.tensor2d([[9, 3, 4]], [1, 3], "int32");
      const padded = tf.tensor2d([[9, 3, 4, 0, 0]], [1, 5], "int32");
      const tgtIn = tf.tensor2d([[5, 12, 11]], [1, 3], "int32");
      expect(relErr(gruEncode(model, padded), gruEncode(model, a))).toBeLessThan(1e-6);
      expect(relErr(gruForwardFast(model, padded, tgtIn), gruForward(model, a, tgtIn))).toBeLessThan(1e-5);
      expect(gruEncode(model, a).shape).toEqual([1, 8]);
    });
  });

  it("each decoding step equals the teacher-forced pass at that position; beam 1 = greedy; no leaks", () => {
    const { src, tgtIn } = batch();
    const dm = gruDecodingModel(model, TOKENS);
    const expected = tf.tidy(() => tf.logSoftmax(gruForward(model, src, tgtIn)));
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
    tf.dispose([...Object.values(state), ...columns, expected]);
    const g = greedyDecode(dm, src, 9);
    const b = beamSearch(dm, src, { beamWidth: 1, maxLen: 9 });
    expect(b.tokens.arraySync()).toEqual(g.arraySync());
    tf.dispose([g, b.tokens]);
    const run = () => {
      greedyDecode(dm, src, 9).dispose();
      beamSearch(dm, src, { beamWidth: 3, maxLen: 9 }).tokens.dispose();
      tf.tidy(() => {
        tf.variableGrads(() => fastCrossEntropy(gruForwardFast(model, src, tgtIn), tgtIn, 0), gruSeq2SeqVariables(model));
      });
    };
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([src, tgtIn]);
  });
});
