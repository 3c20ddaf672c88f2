/** The committed data sets, their loader (lib/support/datasets.ts) and the build scripts' pieces. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { capText, cleanText, emptyStats, messageBody } from "../../datasets/build/email";
import { stratifiedSplit } from "../../datasets/build/common";
import {
  batchIndices,
  DatasetError,
  datasetsDir,
  loadCmudict,
  loadMnist,
  loadNames,
  loadSpam,
  padBatch,
  readDatasetFile,
  readManifest,
} from "../../lib/support/datasets";
import { seededRandom, shuffled } from "../../lib/support/random";
import { ARPABET } from "../../lib/support/tokenizers";

const manifest = readManifest();
const counts = (name: string) => manifest.datasets[name].counts;

/** Each split's size is its fraction of the whole, to the item (rounding). */
function expectSplitSizes(splits: { train: readonly unknown[]; val: readonly unknown[]; test: readonly unknown[] }, fractions: { train: number; val: number; test: number }): void {
  const n = splits.train.length + splits.val.length + splits.test.length;
  for (const s of ["train", "val", "test"] as const) expect(Math.abs(splits[s].length - fractions[s] * n)).toBeLessThan(1);
}

function disjoint(...sets: (readonly string[])[]): boolean {
  const all = sets.flat();
  return new Set(all).size === all.length;
}

describe("the committed files", () => {
  it("every file in the manifest exists with its checksum, and the total stays small", () => {
    let total = 0;
    for (const [file, entry] of Object.entries(manifest.files)) {
      const buf = fs.readFileSync(path.join(datasetsDir(), file));
      expect(buf.length, file).toBe(entry.bytes);
      expect(crypto.createHash("sha256").update(buf).digest("hex"), file).toBe(entry.sha256);
      if (entry.contentSha256) expect(crypto.createHash("sha256").update(zlib.gunzipSync(buf)).digest("hex"), file).toBe(entry.contentSha256);
      total += buf.length;
    }
    expect(Object.keys(manifest.files).sort()).toEqual([
      "cmudict/cmudict.tsv.gz",
      "mnist/test-images.u8.gz",
      "mnist/test-labels.u8",
      "mnist/train-images.u8.gz",
      "mnist/train-labels.u8",
      "names/names.tsv",
      "spam/messages.jsonl.gz",
      "spam/tokenizer.json",
    ]);
    expect(total).toBeLessThan(8 * 1024 * 1024);
  });
});

describe("loadSpam", () => {
  const data = loadSpam();
  const all = [...data.train, ...data.val, ...data.test];

  it("has the manifest's counts, split 80/10/10, ids and bodies in one split only", () => {
    expect(all.length).toBe(counts("spam").messages);
    expect(data.train.length).toBe(counts("spam").train);
    expectSplitSizes(data, { train: 0.8, val: 0.1, test: 0.1 });
    expect(disjoint(data.train.map((m) => m.id), data.val.map((m) => m.id), data.test.map((m) => m.id))).toBe(true);
    // Exact duplicates were removed, so no body text appears twice anywhere.
    expect(disjoint(all.map((m) => m.text))).toBe(true);
  });

  it("is stratified by label: each split's spam share is the corpus's within one message", () => {
    const share = all.filter((m) => m.label === 1).length / all.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    for (const split of [data.train, data.val, data.test]) {
      const spam = split.filter((m) => m.label === 1).length;
      expect(Math.abs(spam - share * split.length)).toBeLessThanOrEqual(2);
    }
    expect(new Set(all.map((m) => m.label))).toEqual(new Set([0, 1]));
    for (const m of all) expect(m.label === 1).toBe(m.group.startsWith("spam"));
    expect(data.labelNames[1]).toBe("spam");
  });

  it("holds decoded bodies only: no headers, no MIME scaffolding, no invalid characters, capped size", () => {
    const cap = (manifest.datasets.spam as unknown as { params: { bodyCapChars: number } }).params.bodyCapChars;
    const bad = all.filter(
      (m) =>
        m.text.length === 0 ||
        Array.from(m.text).length > cap ||
        /^(From \S+@\S+ |Return-Path:|Received:|Delivered-To:)/.test(m.text) ||
        /[\r\ufffd\u0000-\u0008\u000e-\u001f\u0080-\u009f\ue000-\uf8ff]/.test(m.text),
    );
    expect(bad.map((m) => m.id)).toEqual([]);
    // windows-1252 punctuation was decoded (not dropped as C1 controls).
    expect(all.filter((m) => /[\u2018\u2019\u201c\u201d\u2013\u2014]/.test(m.text)).length).toBeGreaterThan(50);
    // Base64 and quoted-printable were undone, HTML reduced to text: their traces are rare.
    const share = (re: RegExp) => all.filter((m) => re.test(m.text)).length / all.length;
    expect(share(/^Content-Transfer-Encoding:/im)).toBeLessThan(0.01);
    expect(share(/=3D|[a-z]=\n[a-z]/)).toBeLessThan(0.005);
    expect(share(/<\/?(td|tr|table|font|div)\b/i)).toBeLessThan(0.005);
    expect(share(/&(nbsp|amp|lt|gt|quot);/)).toBeLessThan(0.005);
    expect(all.filter((m) => m.capped).length).toBe((manifest.datasets.spam as unknown as { capped: number }).capped);
  });

  it("returns the same data on every call, in fresh arrays of frozen records", () => {
    const again = loadSpam();
    expect(again.train.map((m) => m.id)).toEqual(data.train.map((m) => m.id));
    again.train.reverse();
    again.val.length = 0;
    const third = loadSpam();
    expect(third.train[0].id).toBe(data.train[0].id);
    expect(third.val.length).toBe(data.val.length);
    expect(Object.isFrozen(third.train[0])).toBe(true);
  });
});

describe("loadNames", () => {
  const data = loadNames();
  const all = [...data.train, ...data.val, ...data.test];

  it("has 80/10/10 of the unique lower-case a-z names, each name in one split", () => {
    expect(all.length).toBe(counts("names").names);
    expect(all.length).toBeGreaterThan(8300);
    expectSplitSizes(data, { train: 0.8, val: 0.1, test: 0.1 });
    expect(disjoint(data.train, data.val, data.test)).toBe(true);
    for (const n of all) expect(n).toMatch(/^[a-z]{2,}$/);
    expect(all).toContain("emma");
  });

  it("is the same on every call and not shared with the caller", () => {
    const a = loadNames();
    a.train.sort().reverse();
    expect(loadNames().train).toEqual(data.train);
  });
});

describe("loadCmudict", () => {
  const data = loadCmudict();
  const all = [...data.train, ...data.val, ...data.test];

  it("splits 90/5/5 by word: no word in two splits", () => {
    expect(all.length).toBe(counts("cmudict").words);
    expect(all.length).toBeGreaterThan(110_000);
    expectSplitSizes(data, { train: 0.9, val: 0.05, test: 0.05 });
    expect(disjoint(...[data.train, data.val, data.test].map((s) => s.map((e) => e.word)))).toBe(true);
  });

  it("holds alphabetic words with every pronunciation, ARPAbet without stress", () => {
    const known = new Set(ARPABET);
    const bad = all.filter(
      (e) =>
        !/^[a-z]+$/.test(e.word) ||
        e.pronunciations.length === 0 ||
        new Set(e.pronunciations.map((p) => p.join(" "))).size !== e.pronunciations.length ||
        e.pronunciations.some((p) => p.length === 0 || p.some((ph) => !known.has(ph))),
    );
    expect(bad.slice(0, 5)).toEqual([]);
    const several = all.filter((e) => e.pronunciations.length > 1).length;
    expect(several).toBe(counts("cmudict").wordsWithSeveralPronunciations);
    const byWord = new Map(all.map((e) => [e.word, e.pronunciations.map((p) => p.join(" "))]));
    expect(byWord.get("read")).toEqual(["R EH D", "R IY D"]);
    expect(byWord.get("phone")).toEqual(["F OW N"]);
    expect(byWord.has("a's")).toBe(false);
  });
});

describe("loadMnist", () => {
  const data = loadMnist();

  it("has 8,000 train and 2,000 test 28x28 uint8 digits, stratified by digit", () => {
    expect(data.train.count).toBe(8000);
    expect(data.test.count).toBe(2000);
    for (const s of [data.train, data.test]) {
      expect(s.images).toBeInstanceOf(Uint8Array);
      expect(s.images.length).toBe(s.count * 28 * 28);
      expect([s.height, s.width]).toEqual([28, 28]);
    }
    const per = (s: typeof data.train) => Array.from({ length: 10 }, (_, d) => s.labels.filter((l) => l === d).length);
    const train = per(data.train);
    const test = per(data.test);
    train.forEach((n, d) => expect(Math.abs(n - 4 * test[d])).toBeLessThanOrEqual(10));
    expect(Math.min(...test)).toBeGreaterThan(150);
  });

  it("has real digits: ink in the middle, background at the border, no image in both splits", () => {
    const { images, count } = data.train;
    let mean = 0;
    let border = 0;
    for (let i = 0; i < images.length; i++) {
      mean += images[i];
      const r = Math.floor((i % 784) / 28);
      const c = i % 28;
      if (r === 0 || c === 0 || r === 27 || c === 27) border += images[i];
    }
    mean /= images.length;
    expect(mean).toBeGreaterThan(20);
    expect(mean).toBeLessThan(50);
    expect(border / count).toBeLessThan(50);
    expect(Math.max(...images.subarray(0, 784))).toBeGreaterThan(200);
    const hash = (s: typeof data.train, i: number) => crypto.createHash("md5").update(s.images.subarray(i * 784, (i + 1) * 784)).digest("hex");
    const train = new Set(Array.from({ length: count }, (_, i) => hash(data.train, i)));
    for (let i = 0; i < data.test.count; i++) expect(train.has(hash(data.test, i))).toBe(false);
  });

  it("gives each call its own pixel arrays", () => {
    const a = loadMnist();
    a.train.images.fill(7);
    a.test.labels.fill(0);
    const b = loadMnist();
    expect(Buffer.from(b.train.images).equals(Buffer.from(data.train.images))).toBe(true);
    expect(Buffer.from(b.test.labels).equals(Buffer.from(data.test.labels))).toBe(true);
  });
});

describe("missing or corrupt files", () => {
  const tmp: string[] = [];
  afterAll(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  afterEach(() => vi.unstubAllEnvs());

  /** A copy of datasets/ with only the names and cmudict files, to break at will. */
  function copyOfDatasets(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-datasets-"));
    tmp.push(dir);
    fs.copyFileSync(path.join(datasetsDir(), "manifest.json"), path.join(dir, "manifest.json"));
    for (const f of ["names/names.tsv", "cmudict/cmudict.tsv.gz"]) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(datasetsDir(), f), path.join(dir, f));
    }
    return dir;
  }

  it("a good copy loads like the original", () => {
    expect(loadNames({ dir: copyOfDatasets() })).toEqual(loadNames());
  });

  it("an edited file fails its checksum, naming the file and how to restore or rebuild it", () => {
    const dir = copyOfDatasets();
    const file = path.join(dir, "names", "names.tsv");
    const buf = fs.readFileSync(file);
    buf[10] ^= 1;
    fs.writeFileSync(file, buf);
    expect(() => loadNames({ dir })).toThrow(DatasetError);
    expect(() => loadNames({ dir })).toThrow(/loadNames: the data file .*names[/\\]names\.tsv is corrupt \(SHA-256 .*\); restore the committed file with `git checkout -- .*names\/names\.tsv`, or rebuild it with `npm run datasets -- names`/);
  });

  it("a truncated file, a missing file and a missing manifest say so", () => {
    const dir = copyOfDatasets();
    const gz = path.join(dir, "cmudict", "cmudict.tsv.gz");
    fs.truncateSync(gz, 1000);
    expect(() => loadCmudict({ dir })).toThrow(/loadCmudict: the data file .*cmudict\.tsv\.gz is truncated \(1000 of \d+ bytes\).*npm run datasets -- cmudict/);
    fs.rmSync(path.join(dir, "names", "names.tsv"));
    expect(() => loadNames({ dir })).toThrow(/loadNames: the data file .*names\.tsv is missing; restore/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "lab-datasets-"));
    tmp.push(empty);
    expect(() => loadNames({ dir: empty })).toThrow(/cannot read .*manifest\.json/);
  });

  it("a damaged gzip whose checksum was updated to match still fails clearly, not with a zlib message alone", () => {
    const dir = copyOfDatasets();
    const gz = path.join(dir, "cmudict", "cmudict.tsv.gz");
    const cut = fs.readFileSync(gz).subarray(0, 5000);
    fs.writeFileSync(gz, cut);
    const m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    m.files["cmudict/cmudict.tsv.gz"] = { sha256: crypto.createHash("sha256").update(cut).digest("hex"), bytes: cut.length };
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(m));
    expect(() => readDatasetFile("cmudict/cmudict.tsv.gz", { dir, caller: "loadCmudict" })).toThrow(/loadCmudict: the data file .*cmudict\.tsv\.gz is not valid gzip \(.+\); restore/);
  });

  it("a file the manifest does not list is refused; LAB_DATASETS_DIR moves the folder", () => {
    const dir = copyOfDatasets();
    expect(() => readDatasetFile("names/other.tsv", { dir })).toThrow(/names\/other\.tsv is not listed in .*manifest\.json/);
    vi.stubEnv("LAB_DATASETS_DIR", dir);
    expect(datasetsDir()).toBe(path.resolve(dir));
  });
});

describe("padBatch and batchIndices", () => {
  it("pads ragged rows, cuts long ones and counts them", () => {
    const b = padBatch([[5, 6, 7], [8], []], { padId: 0 });
    expect(b.shape).toEqual([3, 3]);
    expect(Array.from(b.ids)).toEqual([5, 6, 7, 8, 0, 0, 0, 0, 0]);
    expect(b.lengths).toEqual([3, 1, 0]);
    expect(b.truncated).toBe(0);
    const c = padBatch([[1, 2, 3, 4], [9]], { padId: 0, length: 2 });
    expect(Array.from(c.ids)).toEqual([1, 2, 9, 0]);
    expect(c.lengths).toEqual([2, 1]);
    expect(c.truncated).toBe(1);
  });

  it("rejects what is not a batch of integer ids", () => {
    expect(() => padBatch([[1, 2.5]], { padId: 0 })).toThrow('padBatch: seqs[0][1] is 2.5, not an integer id');
    expect(() => padBatch([[1], "ab" as never], { padId: 0 })).toThrow("padBatch: seqs[1] must be an array of ids");
    expect(() => padBatch([[]], { padId: 0 })).toThrow('padBatch: option "length" must be an integer >= 1, got 0');
  });

  it("batchIndices covers every row once per epoch, the same for the same seed", () => {
    const a = batchIndices(10, 4, 3);
    expect(a.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(a.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchIndices(10, 4, 3)).toEqual(a);
    expect(batchIndices(10, 4, 4)).not.toEqual(a);
    expect(() => batchIndices(10, 0, 3)).toThrow('batchIndices: argument "batchSize" must be an integer >= 1, got 0');
    expect(() => batchIndices(10, 4, 0)).toThrow("seed must be a non-zero integer");
  });

  it("seededRandom and shuffled are seeded and leave the input alone", () => {
    const r1 = seededRandom(42);
    const r2 = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => r2()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.05);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const s = shuffled(items, 7);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...s].sort()).toEqual(items);
    expect(shuffled(items, 7)).toEqual(s);
  });
});

describe("stratifiedSplit (datasets/build/common.ts)", () => {
  const items = Array.from({ length: 1003 }, (_, i) => ({ i, label: i % 7 === 0 ? "rare" : i % 3 === 0 ? "b" : "a" }));

  it("gives exact split sizes and every label its share to within two items", () => {
    const split = stratifiedSplit(items, (x) => x.label, { train: 0.8, val: 0.1, test: 0.1 }, 11);
    const size = (s: string) => items.filter((x) => split.get(x) === s).length;
    // 1003 x (0.8, 0.1, 0.1) = 802.4, 100.3, 100.3: floors, then the largest remainder gets the last one.
    expect([size("train"), size("val"), size("test")]).toEqual([803, 100, 100]);
    for (const label of ["a", "b", "rare"]) {
      const group = items.filter((x) => x.label === label);
      for (const [s, f] of [["train", 0.8], ["val", 0.1], ["test", 0.1]] as const) {
        const n = group.filter((x) => split.get(x) === s).length;
        expect(Math.abs(n - f * group.length), `${label} ${s}`).toBeLessThanOrEqual(2);
      }
    }
  });

  it("is the same for the same seed and different for another", () => {
    const a = stratifiedSplit(items, (x) => x.label, { train: 0.8, test: 0.2 }, 5);
    const b = stratifiedSplit(items, (x) => x.label, { train: 0.8, test: 0.2 }, 5);
    const c = stratifiedSplit(items, (x) => x.label, { train: 0.8, test: 0.2 }, 6);
    expect(items.map((x) => a.get(x))).toEqual(items.map((x) => b.get(x)));
    expect(items.map((x) => a.get(x))).not.toEqual(items.map((x) => c.get(x)));
  });
});

describe("e-mail decoding (datasets/build/email.ts)", () => {
  const msg = (s: string) => Buffer.from(s.replace(/\n/g, "\r\n"), "latin1");

  it("drops the headers and keeps the plain-text form of a multipart/alternative message", () => {
    const raw = msg(
      'From a@b  Mon Jan 1\nSubject: WIN MONEY\nContent-Type: multipart/alternative; boundary="XX"\n\npreamble\n--XX\nContent-Type: text/plain\n\nHello plain\n--XX\nContent-Type: text/html\n\n<p>Hello html</p>\n--XX--\nepilogue\n',
    );
    expect(messageBody(raw)).toBe("Hello plain");
  });

  it("undoes base64 and quoted-printable, decodes the declared charset and reduces HTML to text", () => {
    const b64 = Buffer.from("Caf\xe9 cr\xe8me", "latin1").toString("base64");
    const raw = msg(
      `Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n${b64}\n--B\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n<html><head><style>p{}</style></head><body><p>Fifty =\npercent&nbsp;off &amp; more =E2=82=AC5</p><script>x()</script></body></html>\n--B\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--B--\n`,
    );
    const stats = emptyStats();
    expect(messageBody(raw, stats)).toBe("Café crème\n\nFifty percent off & more €5");
    expect(stats.html).toBe(1);
    expect(stats.skippedParts).toBe(1);
  });

  it("handles bytes that are not UTF-8: undeclared ones as windows-1252, invalid ones dropped", () => {
    // No charset, not valid UTF-8: read as windows-1252 (0x93/0x94 are curly quotes there).
    expect(messageBody(Buffer.concat([msg("Subject: x\n\n"), Buffer.from([0x93, 0x68, 0x69, 0x94])]))).toBe("\u201chi\u201d");
    // Declared UTF-8 with an invalid byte: the byte is dropped, the rest kept.
    const stats = emptyStats();
    const body = messageBody(Buffer.concat([msg("Content-Type: text/plain; charset=utf-8\n\nok "), Buffer.from([0xff]), Buffer.from(" fine")]), stats);
    expect(body).toBe("ok fine");
    expect(stats.invalidBytes).toBe(1);
    // Valid UTF-8 under a us-ascii label is read as UTF-8.
    expect(messageBody(Buffer.concat([msg("Content-Type: text/plain; charset=us-ascii\n\n"), Buffer.from("naïve", "utf8")]))).toBe("naïve");
  });

  it("cleans whitespace and invisible characters, and caps long bodies at a space", () => {
    expect(cleanText("a\u00a0\u00a0b\u200b\r\n\r\n\r\n\r\nc \t d\u0007")).toBe("a b\n\nc d");
    expect(capText("short", 10)).toEqual({ text: "short", capped: false });
    // The cut moves back to a space only within the last tenth of the allowance.
    expect(capText("one two three four", 14)).toEqual({ text: "one two three", capped: true });
    expect(capText("one two three four", 12)).toEqual({ text: "one two thre", capped: true });
    expect(capText("abcdefghijklmnop", 10)).toEqual({ text: "abcdefghij", capped: true });
    expect(capText("😀".repeat(20), 10).text).toBe("😀".repeat(10));
  });
});
