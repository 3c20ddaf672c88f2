/** The course's tokenizers (lib/support/tokenizers.ts) on the committed data. */
import { describe, expect, it } from "vitest";
import { LabInputError } from "../../lib/support/checks";
import { loadCmudict, loadNames, loadSpam, readManifest } from "../../lib/support/datasets";
import {
  ARPABET,
  BOS_ID,
  BpeTokenizer,
  CLS_ID,
  encodeBatch,
  frameBatch,
  EOS_ID,
  letterTokenizer,
  MASK_ID,
  normalizeText,
  PAD_ID,
  phonemeTokenizer,
  preTokenize,
  SEP_ID,
  SPECIAL_IDS,
  SPECIAL_TOKENS,
  spamTokenizer,
  UNK_ID,
  type Tokenizer,
} from "../../lib/support/tokenizers";

const tokenizers: Tokenizer[] = [letterTokenizer(), phonemeTokenizer(), spamTokenizer()];

function expectValidIds(tok: Tokenizer, ids: number[]): void {
  for (const id of ids) {
    expect(Number.isInteger(id)).toBe(true);
    expect(id).toBeGreaterThanOrEqual(0);
    expect(id).toBeLessThan(tok.vocabSize);
  }
}

describe("special tokens", () => {
  it("have the same fixed ids in every tokenizer", () => {
    expect([PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, BOS_ID, EOS_ID]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(SPECIAL_TOKENS).toEqual(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[BOS]", "[EOS]"]);
    for (const tok of tokenizers) {
      expect(tok.vocab.slice(0, 7)).toEqual(SPECIAL_TOKENS);
      expect(tok.specialIds).toEqual(SPECIAL_IDS);
      SPECIAL_TOKENS.forEach((t, i) => expect(tok.idOf(t)).toBe(i));
      expect(new Set(tok.vocab).size).toBe(tok.vocabSize);
    }
    expect([letterTokenizer().vocabSize, phonemeTokenizer().vocabSize, spamTokenizer().vocabSize]).toEqual([33, 46, 3000]);
  });

  it("typed into the text are plain characters, not specials", () => {
    expect(letterTokenizer().encode("[cls]")).not.toContain(CLS_ID);
    expect(spamTokenizer().encode("press [MASK] or [SEP] now").filter((id) => id < 7)).toEqual([]);
  });

  it("are dropped by decode unless asked for; [UNK] always shows", () => {
    const t = letterTokenizer();
    const ids = [BOS_ID, ...t.encode("ann"), UNK_ID, EOS_ID, PAD_ID, PAD_ID];
    expect(t.decode(ids)).toBe("ann[UNK]");
    expect(t.decode(ids, { keepSpecials: true })).toBe("[BOS]ann[UNK][EOS][PAD][PAD]");
    expect(spamTokenizer().decode([CLS_ID, ...spamTokenizer().encode("hello world"), SEP_ID])).toBe("hello world");
  });
});

describe("letterTokenizer (names, spellings)", () => {
  const t = letterTokenizer();

  it("round-trips every name and every CMUdict word", () => {
    const names = Object.values(loadNames()).flat();
    const words = Object.values(loadCmudict()).flat().map((e) => e.word);
    // One token per letter, so one long string checks them all at once.
    const all = [...names, ...words].join("");
    const ids = t.encode(all);
    expect(ids.length).toBe(all.length);
    expect(ids.includes(UNK_ID)).toBe(false);
    expect(t.decode(ids)).toBe(all);
    expect(t.encode("abz")).toEqual([7, 8, 32]);
  });

  it("folds case and accents; anything else is [UNK]; empty input is no tokens", () => {
    expect(t.encode("Zoë")).toEqual(t.encode("zoe"));
    expect(t.tokenize("jo-ann")).toEqual(["j", "o", "[UNK]", "a", "n", "n"]);
    expect(t.tokenize("o'neil2")).toEqual(["o", "[UNK]", "n", "e", "i", "l", "[UNK]"]);
    expect(t.encode("")).toEqual([]);
    expect(t.encode("   ")).toEqual([]);
    const weird = t.encode("日本 😀");
    expect(weird.every((id) => id === UNK_ID)).toBe(true);
    expect(weird.length).toBe(4); // 日, 本, the space, the emoji (one code point)
  });

  it("rejects what is not text or not an id, naming the function", () => {
    expect(() => t.encode(42 as never)).toThrow(LabInputError);
    expect(() => t.encode(undefined as never)).toThrow('letters.encode: argument "text" must be a string, got undefined');
    expect(() => t.tokenize({} as never)).toThrow('letters.tokenize: argument "text" must be a string, got object [object Object]');
    expect(() => t.decode([7, 33])).toThrow("letters.decode: ids[1] = 33 is not a token id of the letters vocabulary (integers 0 to 32)");
    expect(() => t.decode([7, 1.5])).toThrow("ids[1] = 1.5");
    expect(() => t.decode([NaN])).toThrow("ids[0] = NaN");
    expect(() => t.decode("abc" as never)).toThrow('letters.decode: argument "ids" must be an array of token ids');
    expect(() => t.tokenOf(-1)).toThrow("letters.tokenOf: id -1 is not in the vocabulary");
    expect(t.decode(new Int32Array([7, 8]))).toBe("ab");
  });
});

describe("phonemeTokenizer (pronunciations)", () => {
  const t = phonemeTokenizer();

  it("covers the 39 ARPAbet phonemes and round-trips CMUdict pronunciations", () => {
    expect(ARPABET.length).toBe(39);
    expect(t.vocab.slice(7)).toEqual(ARPABET);
    const prons = Object.values(loadCmudict()).flat().flatMap((e) => e.pronunciations);
    // Every phoneme the dictionary uses is in the vocabulary ...
    expect(new Set(prons.flat())).toEqual(new Set(ARPABET));
    // ... and whole pronunciations (every 20th one) come back unchanged, as text or as arrays.
    const sample = prons.filter((_, i) => i % 20 === 0);
    const text = sample.map((p) => p.join(" ")).join(" ");
    const ids = t.encode(text);
    expect(ids.length).toBe(sample.reduce((n, p) => n + p.length, 0));
    expect(ids.includes(UNK_ID)).toBe(false);
    expect(t.decode(ids)).toBe(text);
    expect(t.encode(sample.flat())).toEqual(ids);
  });

  it("ignores stress and case; unknown symbols are [UNK]; empty is no tokens", () => {
    expect(t.encode("HH AH0 L OW1")).toEqual(t.encode(["hh", "ah", "l", "ow"]));
    expect(t.tokenize("K AE1 T XX 7")).toEqual(["K", "AE", "T", "[UNK]", "[UNK]"]);
    expect(t.encode("")).toEqual([]);
    expect(t.encode([])).toEqual([]);
    expect(() => t.encode([1 as never])).toThrow("phonemes.tokenize: phoneme 0 must be a string, got number 1");
  });
});

describe("spamTokenizer (byte-pair encoding of e-mail)", () => {
  const t = spamTokenizer();
  const spam = loadSpam();

  it("round-trips normalised text whenever no character is outside its alphabet", () => {
    let checked = 0;
    const sample = spam.val.slice(0, 200);
    for (const m of sample) {
      const ids = t.encode(m.text);
      expectValidIds(t, ids.slice(0, 50));
      if (ids.includes(UNK_ID)) continue;
      expect(t.decode(ids), m.id).toBe(normalizeText(m.text));
      checked++;
    }
    expect(checked).toBeGreaterThan(sample.length * 0.9);
  });

  it("normalises case, accents, quotes, dashes and whitespace the documented way", () => {
    expect(normalizeText("  Café\r\n\t“FREE”—now\u200b!  ")).toBe('cafe "free"-now!');
    expect(preTokenize("free!!! money, now")).toEqual(["▁free", "!!!", "▁money", ",", "▁now"]);
    expect(preTokenize("")).toEqual([]);
    expect(t.tokenize("Click here!")).toEqual(["▁click", "▁here", "!"]);
  });

  it("maps characters outside its alphabet to [UNK]: a message of only those is a few [UNK]s, not an error", () => {
    const ids = t.encode("😀😀😀 ☃ ∰∰");
    expectValidIds(t, ids);
    expect(ids.filter((id) => id !== UNK_ID).every((id) => t.tokenOf(id) === "▁")).toBe(true);
    expect(ids.filter((id) => id === UNK_ID).length).toBe(3); // one [UNK] per unknown run
    expect(t.decode(ids)).toBe("[UNK] [UNK] [UNK]");
    expect(t.encode("")).toEqual([]);
    expect(t.encode(" \n\t ")).toEqual([]);
  });

  it("encodes an over-long input completely (truncation is encodeBatch's job)", () => {
    const long = "buy cheap meds now ".repeat(5000) + "x".repeat(100_000);
    const ids = t.encode(long);
    expect(ids.length).toBeGreaterThan(20_000);
    expect(t.decode(ids)).toBe(normalizeText(long));
  });

  it("was trained on the training split alone: retraining there reproduces its first merges", () => {
    const model = t.toJSON();
    expect(model.trainedOn).toContain(`${spam.train.length} training bodies`);
    const again = BpeTokenizer.train(spam.train.map((m) => m.text), { vocabSize: model.alphabet.length + 7 + 300, minCharCount: model.minCharCount });
    expect(again.toJSON().alphabet).toEqual(model.alphabet);
    expect(again.toJSON().merges).toEqual(model.merges.slice(0, again.toJSON().merges.length));
    expect(again.toJSON().merges.length).toBeGreaterThanOrEqual(300);
  });

  it("has the vocabulary size and figures the manifest documents", () => {
    const info = readManifest().datasets.spam as unknown as { tokenizer: { vocabSize: number; merges: number; alphabet: number } };
    expect(t.vocabSize).toBe(info.tokenizer.vocabSize);
    expect(t.toJSON().merges.length).toBe(info.tokenizer.merges);
    expect(t.toJSON().alphabet.length).toBe(info.tokenizer.alphabet);
  });
});

describe("BpeTokenizer.train", () => {
  const corpus = ["ab cd ab cd", "the cat sat on the mat", "that hat", "a"];

  it("is deterministic, ties broken by the (left, right) strings, whatever the order of the texts", () => {
    const a = BpeTokenizer.train(corpus, { vocabSize: 40 });
    const b = BpeTokenizer.train([...corpus].reverse(), { vocabSize: 40 });
    expect(b.toJSON()).toEqual(a.toJSON());
    // "ab cd ab cd": every pair is seen twice; "a"+"b" sorts before "c"+"d" and "▁"+...
    const tiny = BpeTokenizer.train(["ab cd ab cd"], { vocabSize: 100 });
    expect(tiny.toJSON().merges).toEqual([["a", "b"], ["c", "d"], ["▁", "ab"], ["▁", "cd"]]);
    expect(tiny.vocabSize).toBe(7 + 5 + 4); // stops when no pair is seen twice
    expect(tiny.encode("ab cd abcd")).toEqual([tiny.idOf("▁ab"), tiny.idOf("▁cd"), tiny.idOf("▁ab"), tiny.idOf("cd")]);
  });

  it("applies merges in the order learned and survives a JSON round trip", () => {
    const tok = BpeTokenizer.train(corpus, { vocabSize: 30 });
    const copy = BpeTokenizer.fromModel(JSON.parse(JSON.stringify(tok.toJSON())));
    for (const s of ["the hat sat", "cab", "zzz"]) expect(copy.encode(s)).toEqual(tok.encode(s));
    expect(tok.tokenize("the")).toEqual(["▁the"]);
  });

  it("leaves rare characters out of the alphabet (they become [UNK])", () => {
    const tok = BpeTokenizer.train(["aaa bbb aaa q"], { vocabSize: 20, minCharCount: 2 });
    expect(tok.toJSON().alphabet).toEqual(["a", "b", "▁"]);
    expect(tok.tokenize("q")).toEqual(["▁", "[UNK]"]);
  });

  it("refuses inconsistent models and bad options", () => {
    const m = BpeTokenizer.train(corpus, { vocabSize: 30 }).toJSON();
    expect(() => BpeTokenizer.fromModel({ ...m, vocabSize: m.vocabSize + 1 })).toThrow(`the model makes ${m.vocabSize} tokens, its vocabSize says ${m.vocabSize + 1}`);
    expect(() => BpeTokenizer.fromModel({ ...m, merges: [["x", "y"]] })).toThrow('merge "x" + "y" uses a token that does not exist before it');
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 5 })).toThrow('option "vocabSize" must be an integer in [8, 60000], got 5');
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 9 })).toThrow("the alphabet alone has");
    expect(() => BpeTokenizer.train([1 as never], { vocabSize: 30 })).toThrow("texts[0] must be a string");
  });
});

describe("encodeBatch", () => {
  const t = spamTokenizer();

  it("frames with [CLS] ... [SEP], cuts long texts keeping [SEP], pads with [PAD] and counts what it cut", () => {
    const texts = ["hello", "", "word ".repeat(50)];
    const b = encodeBatch(t, texts, { contextLength: 8, prefix: [CLS_ID], suffix: [SEP_ID] });
    expect(b.shape).toEqual([3, 8]);
    const row = (r: number) => Array.from(b.ids.subarray(r * 8, r * 8 + 8));
    expect(row(0)).toEqual([CLS_ID, ...t.encode("hello"), SEP_ID, ...Array(8 - 2 - t.encode("hello").length).fill(PAD_ID)]);
    expect(row(1)).toEqual([CLS_ID, SEP_ID, 0, 0, 0, 0, 0, 0]);
    expect(row(2)[0]).toBe(CLS_ID);
    expect(row(2)[7]).toBe(SEP_ID);
    expect(row(2).slice(1, 7)).toEqual(t.encode("word ".repeat(50)).slice(0, 6));
    expect(b.lengths).toEqual([2 + t.encode("hello").length, 2, 8]);
    expect(b.truncated).toBe(1);
    expect(b.truncatedRows).toEqual([2]);
    expect(b.tokenCounts).toEqual(texts.map((x) => t.encode(x).length));
  });

  it("gives the same batch on a second call, and works for the letter tokenizer with [BOS]/[EOS]", () => {
    const texts = loadSpam().test.slice(0, 50).map((m) => m.text);
    const a = encodeBatch(t, texts, { contextLength: 128, prefix: [CLS_ID], suffix: [SEP_ID] });
    const b = encodeBatch(t, texts, { contextLength: 128, prefix: [CLS_ID], suffix: [SEP_ID] });
    expect(b).toEqual(a);
    expect(a.truncated).toBe(a.tokenCounts.filter((n) => n > 126).length);
    const names = encodeBatch(letterTokenizer(), ["emma", "al"], { contextLength: 7, prefix: [BOS_ID], suffix: [EOS_ID] });
    expect(Array.from(names.ids)).toEqual([5, 11, 19, 19, 7, 6, 0, 5, 7, 18, 6, 0, 0, 0]);
  });

  it("keeps a cut text's last keepTail tokens too; frameBatch frames pre-encoded texts the same way", () => {
    const long = t.encode("word ".repeat(20) + "the very end");
    const short = t.encode("hi");
    const b = frameBatch([long, short], { contextLength: 10, prefix: [CLS_ID], suffix: [SEP_ID], keepTail: 3 });
    expect(Array.from(b.ids.subarray(0, 10))).toEqual([CLS_ID, ...long.slice(0, 5), ...long.slice(-3), SEP_ID]);
    expect(Array.from(b.ids.subarray(10, 20))).toEqual([CLS_ID, ...short, SEP_ID, ...Array(8 - short.length).fill(PAD_ID)]);
    expect(b.truncated).toBe(1);
    expect(b.truncatedRows).toEqual([0]);
    expect(b.tokenCounts).toEqual([long.length, short.length]);
    const texts = loadSpam().val.slice(0, 30).map((m) => m.text);
    const opts = { contextLength: 64, prefix: [CLS_ID], suffix: [SEP_ID], keepTail: 20 };
    expect(encodeBatch(t, texts, opts)).toEqual(frameBatch(texts.map((x) => t.encode(x)), opts));
    const tailOnly = frameBatch([long], { contextLength: 6, keepTail: 6 });
    expect(Array.from(tailOnly.ids)).toEqual(long.slice(-6));
    expect(() => frameBatch([long], { contextLength: 6, keepTail: 7 })).toThrow('frameBatch: option "keepTail" must be an integer in [0, 6] (the room for tokens), got number 7');
    expect(() => encodeBatch(t, ["a"], { contextLength: 6, keepTail: -1 })).toThrow('encodeBatch: option "keepTail" must be an integer in [0, 6]');
    expect(() => frameBatch([[1, 2], "ab" as never], { contextLength: 6 })).toThrow("frameBatch: tokenLists[1] must be an array of ids");
  });

  it("rejects a context with no room for tokens and non-string texts", () => {
    expect(() => encodeBatch(t, ["a"], { contextLength: 2, prefix: [CLS_ID], suffix: [SEP_ID] })).toThrow('encodeBatch: option "contextLength" must be an integer larger than prefix + suffix (2), got 2');
    expect(() => encodeBatch(t, ["a", null as never], { contextLength: 8 })).toThrow("encodeBatch: texts[1] must be a string, got null");
    expect(() => encodeBatch(t, "abc" as never, { contextLength: 8 })).toThrow('encodeBatch: argument "texts" must be an array of strings');
  });
});
