/**
 * Notebook 04's recipes and notebook helpers (lib/support/tasks/spam.ts) on the committed data,
 * with small untrained models (no full training here; `npm run bench -- spam` does that):
 * framing and truncation counts, MLM windows, evaluation through the reference functions and the
 * fast path, confusion matrix, misclassified messages, masked guesses, [CLS] attention, a short
 * training run of each stage that lowers its loss, the baseline, and the registered tasks.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { BertBlocks, createBert, disposeBert } from "../../lib/support/models/bert";
import { findTask } from "../../lib/support/tasks";
import {
  clsAttentionOf, confusionMatrix, encodeMessages, evaluateSpam, fineTuneSpam, frameMessages, maskedGuesses, misclassified, mlmWindows,
  pretrainMlm, SPAM_BERT_CONFIG, SPAM_CONTEXT, SPAM_KEEP_TAIL, spamBaseline, spamSplits,
} from "../../lib/support/tasks/spam";
import { CLS_ID, MASK_ID, SEP_ID } from "../../lib/support/tokenizers";
import { classifierHead, clsPool, encoderForward, mlmMask } from "../../solutions/bert";
import { layerNorm } from "../../solutions/blocks";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

const blocks: BertBlocks = { encoderForward, clsPool, classifierHead, layerNorm };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const small = { ...SPAM_BERT_CONFIG, d: 16, dff: 32, numHeads: 2, numLayers: 1 };

describe("spam data for the encoder", () => {
  it("frames every split with [CLS] … [SEP], keeps head and tail of cut messages, and counts them", () => {
    const s = spamSplits();
    expect([s.train.tokens.length, s.val.tokens.length, s.test.tokens.length]).toEqual([4560, 570, 569]);
    const all = [...s.train.tokens, ...s.val.tokens, ...s.test.tokens];
    const b = frameMessages(all);
    // datasets/README.md: 4,795 of the 5,699 bodies do not fit [CLS] + 126 tokens + [SEP].
    expect(b.truncated).toBe(4795);
    const r = b.truncatedRows[0];
    const row = Array.from(b.ids.subarray(r * SPAM_CONTEXT, (r + 1) * SPAM_CONTEXT));
    const room = SPAM_CONTEXT - 2;
    expect(row).toEqual([CLS_ID, ...all[r].slice(0, room - SPAM_KEEP_TAIL), ...all[r].slice(-SPAM_KEEP_TAIL), SEP_ID]);
    expect(encodeMessages([s.test.messages[0].text]).ids).toEqual(frameMessages([s.test.tokens[0]]).ids);
  });

  it("cuts the training bodies into MLM windows that hold every token once", () => {
    const tokens = spamSplits().train.tokens.slice(0, 50);
    const w = mlmWindows(tokens);
    expect(w.every((x) => x.length >= 1 && x.length <= SPAM_CONTEXT - 2)).toBe(true);
    expect(w.flat()).toEqual(tokens.flat());
  });
});

describe("evaluation and the notebook's views", () => {
  it("classifies a split the same way through the reference functions and on the fast path", () => {
    const params = createBert(small, 3);
    const messages = spamSplits().val.messages.slice(0, 40);
    const before = tf.memory().numTensors;
    const fast = evaluateSpam("fast", params, messages, 16); // three batches, the last one short
    const plain = evaluateSpam(blocks, params, messages);
    expect(tf.memory().numTensors).toBe(before); // nothing left behind, batch after batch
    expect(plain.predictions).toEqual(fast.predictions);
    plain.probabilities.forEach((p, i) => expect(p).toBeCloseTo(fast.probabilities[i], 5));
    expect(fast.labels).toEqual(messages.map((m) => m.label));
    const [[tn, fp], [fn, tp]] = fast.confusion;
    expect(tn + fp + fn + tp).toBe(40);
    expect(fast.accuracy).toBeCloseTo((tn + tp) / 40, 10);
    disposeBert(params);
  });

  it("confusion matrix and misclassified messages (most confident mistakes first, first lines only)", () => {
    expect(confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 0, 1])).toEqual([[1, 1], [1, 2]]);
    const messages = spamSplits().test.messages.slice(0, 4);
    const labels = messages.map((m) => m.label);
    const predictions = labels.map((y, i) => (i < 2 ? 1 - y : y));
    const probabilities = predictions.map((p, i) => (p === 1 ? [0.6, 0.99, 0.9, 0.8][i] : [0.4, 0.01, 0.1, 0.2][i]));
    const wrong = misclassified(messages, { probabilities, predictions }, 2);
    expect(wrong.map((w) => w.message.id)).toEqual([messages[1].id, messages[0].id]);
    for (const w of wrong) {
      expect(w.preview.split("\n").length).toBeLessThanOrEqual(2);
      expect(w.preview.split("\n").every((l) => l.length <= 100)).toBe(true);
    }
  });

  it("masked guesses and [CLS] attention for a message, the same through both runners; no leaks", () => {
    const params = createBert(small, 4);
    const text = spamSplits().val.messages[3].text;
    maskedGuesses("fast", params, text);
    const before = tf.memory().numTensors;
    const g = maskedGuesses("fast", params, text, { k: 3 });
    const r = maskedGuesses(blocks, params, text, { k: 3 });
    expect(g.items.length).toBeGreaterThan(2);
    expect(g.items.map((x) => x.guesses.map((y) => y.token))).toEqual(r.items.map((x) => x.guesses.map((y) => y.token)));
    for (const item of g.items) {
      expect(g.tokens[item.position]).toBe("[MASK]");
      expect(item.original).toMatch(/^\u2581[a-z]{3,}$/);
      expect(item.guesses).toHaveLength(3);
    }
    const a = clsAttentionOf("fast", params, text, 5);
    expect(a.tokens[0]).toBe("[CLS]");
    expect(a.tokens[a.tokens.length - 1]).toBe("[SEP]");
    expect(a.weights).toHaveLength(1);
    expect(a.weights[0]).toHaveLength(2);
    expect(a.weights[0][0]).toHaveLength(a.tokens.length);
    expect(a.strongest).toHaveLength(5);
    expect(a.strongest[0].weight).toBeGreaterThanOrEqual(a.strongest[4].weight);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => maskedGuesses("fast", params, "hello world", { positions: [0] })).toThrow(/maskedGuesses: position 0 is not a token of the message/);
    disposeBert(params);
  });
});

describe("training stages (short runs)", () => {
  it("MLM pre-training gives the same losses with the pipeline's masking and with mlmMask passed in", async () => {
    const run = async (mask?: typeof mlmMask) => {
      const params = createBert(small, 5);
      const r = await pretrainMlm(params, { steps: 4, evaluateEvery: 0, mask });
      disposeBert(params);
      return r.losses;
    };
    const before = tf.memory().numTensors;
    const a = await run();
    const b = await run(mlmMask);
    expect(b).toEqual(a); // the reference exercise and the pipeline mask identically
    expect(a).toHaveLength(4);
    expect(a.every((l) => l > 7 && l < 9)).toBe(true); // about ln(3000) = 8.0 at the start
    expect(tf.memory().numTensors).toBe(before);
  });

  it("fine-tuning lowers the loss; the baseline trains; the three tasks are registered", async () => {
    const params = createBert(small, 6);
    const r = await fineTuneSpam(params, { steps: 12, evaluateEvery: 0 });
    expect(mean(r.losses.slice(-4))).toBeLessThan(mean(r.losses.slice(0, 4)));
    disposeBert(params);
    const beforeBaseline = tf.memory().numTensors;
    const base = await spamBaseline({ steps: 20 });
    expect(base.vocabulary.words).toHaveLength(5000);
    expect(base.test.accuracy).toBeGreaterThan(0.9);
    expect(base.train.losses[19]).toBeLessThan(base.train.losses[0]);
    tf.dispose([base.params.w, base.params.b]);
    expect(tf.memory().numTensors).toBe(beforeBaseline); // its weights were all it kept
    for (const name of ["spam-mlm", "spam", "spam-scratch"]) expect(findTask(name).name).toBe(name);
  });

  it("bad input: a masked guess outside the message, a non-string message", () => {
    expect(() => encodeMessages([42 as never])).toThrow(/encodeMessages: texts\[0\] must be a string/);
    const b = encodeMessages(["", "\u{1F600}"]);
    expect(Array.from(b.ids.subarray(0, 2))).toEqual([CLS_ID, SEP_ID]);
    expect(b.truncated).toBe(0);
    expect(MASK_ID).toBe(4);
  });
});
