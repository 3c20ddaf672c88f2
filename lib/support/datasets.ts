/**
 * The course's data, loaded from the files committed in datasets/ (no network, no extra package).
 * Every data notebook (04-07) loads through this one module:
 *
 *   loadSpam()      SpamAssassin message bodies, ham/spam, train/val/test      (notebook 04)
 *   loadNames()     first names, train/val/test                                 (notebook 05)
 *   loadCmudict()   CMUdict words and their pronunciations, train/val/test      (notebook 06)
 *   loadMnist()     28x28 digits, uint8 pixels, train/test                      (notebook 07)
 *
 * Each file is checked against its SHA-256 in datasets/manifest.json before it is used, so a
 * missing, truncated or edited file fails with an error naming the file and how to restore or
 * rebuild it (datasets/README.md describes every data set and its rebuild command).
 * Loaders are synchronous and cache what they read, per process; every call returns fresh arrays
 * (of frozen records), so sorting or shuffling a result in place cannot change the next call's.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { LabInputError } from "./checks";
import { shuffled } from "./random";

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}

export type SplitName = "train" | "val" | "test";

export interface FileEntry {
  sha256: string;
  bytes: number;
  /** For .gz files: the SHA-256 and size of the decompressed content (stable across zlib versions). */
  contentSha256?: string;
  contentBytes?: number;
}

export interface Manifest {
  files: Record<string, FileEntry>;
  datasets: Record<string, { counts: Record<string, number>; [key: string]: unknown }>;
}

/** The rebuild command of each data set (see datasets/README.md). */
export const REBUILD_COMMANDS: Readonly<Record<string, string>> = {
  spam: "npm run datasets -- spam",
  names: "npm run datasets -- names",
  cmudict: "npm run datasets -- cmudict",
  mnist: "npm run datasets -- mnist",
};

function findDatasetsDir(): string {
  const fromEnv = process.env.LAB_DATASETS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  // realpath: in a notebook this file is reached through the notebooks/lib symlink; the grader
  // runs a compiled copy under out/grading/<run>/lib/support. Both have the project root above.
  let dir = fs.realpathSync(__dirname);
  for (;;) {
    if (fs.existsSync(path.join(dir, "datasets", "manifest.json"))) return path.join(dir, "datasets");
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new DatasetError(
    `datasets: no datasets/manifest.json in any folder above ${fs.realpathSync(__dirname)}; ` +
      "the datasets/ folder of the course is missing (restore it with `git checkout -- datasets`), " +
      "or set LAB_DATASETS_DIR to the folder that holds manifest.json",
  );
}

/** Where the data files are read from (any folder with a manifest.json may be passed to the loaders). */
export function datasetsDir(): string {
  return findDatasetsDir();
}

function rel(dir: string, file: string): string {
  const r = path.relative(process.cwd(), path.join(dir, file));
  return r.startsWith("..") ? path.join(dir, file) : r;
}

function restoreHint(dir: string, file: string): string {
  const name = file.split("/")[0];
  const rebuild = REBUILD_COMMANDS[name];
  return (
    `restore the committed file with \`git checkout -- ${path.join(path.basename(dir), file)}\`` +
    (rebuild ? `, or rebuild it with \`${rebuild}\` (datasets/README.md)` : "")
  );
}

const manifests = new Map<string, Manifest>();

/** datasets/manifest.json: the checksum of every data file and the counts of every data set. */
export function readManifest(dir = datasetsDir()): Manifest {
  const cached = manifests.get(dir);
  if (cached) return cached;
  const file = path.join(dir, "manifest.json");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch (err) {
    throw new DatasetError(`datasets: cannot read ${rel(dir, "manifest.json")} (${(err as Error).message}); restore it with \`git checkout -- datasets/manifest.json\``);
  }
  if (typeof manifest !== "object" || manifest === null || typeof manifest.files !== "object") {
    throw new DatasetError(`datasets: ${rel(dir, "manifest.json")} has no "files" table; restore it with \`git checkout -- datasets/manifest.json\``);
  }
  manifests.set(dir, manifest);
  return manifest;
}

/**
 * The bytes of one data file (path relative to datasets/, e.g. "spam/tokenizer.json"), after
 * checking its size and SHA-256 against the manifest; .gz files are returned decompressed.
 */
export function readDatasetFile(file: string, opts: { dir?: string; caller?: string } = {}): Buffer {
  const dir = opts.dir ?? datasetsDir();
  const who = opts.caller ?? "readDatasetFile";
  const entry = readManifest(dir).files[file];
  if (!entry) throw new DatasetError(`${who}: ${file} is not listed in ${rel(dir, "manifest.json")}; ${restoreHint(dir, file)}`);
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) throw new DatasetError(`${who}: the data file ${rel(dir, file)} is missing; ${restoreHint(dir, file)}`);
  const raw = fs.readFileSync(full);
  const sha = crypto.createHash("sha256").update(raw).digest("hex");
  if (raw.length !== entry.bytes || sha !== entry.sha256) {
    const what = raw.length < entry.bytes ? `truncated (${raw.length} of ${entry.bytes} bytes)` : raw.length !== entry.bytes ? `the wrong size (${raw.length} bytes, expected ${entry.bytes})` : `corrupt (SHA-256 ${sha.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…)`;
    throw new DatasetError(`${who}: the data file ${rel(dir, file)} is ${what}; ${restoreHint(dir, file)}`);
  }
  if (!file.endsWith(".gz")) return raw;
  try {
    return zlib.gunzipSync(raw);
  } catch (err) {
    throw new DatasetError(`${who}: the data file ${rel(dir, file)} is not valid gzip (${(err as Error).message}); ${restoreHint(dir, file)}`);
  }
}

function expectCount(who: string, dir: string, set: string, key: string, got: number): void {
  const want = readManifest(dir).datasets?.[set]?.counts?.[key];
  if (want !== undefined && want !== got) {
    throw new DatasetError(`${who}: datasets/${set} has ${got} ${key} records, the manifest says ${want}; ${restoreHint(dir, set + "/")}`);
  }
}

const cache = new Map<string, unknown>();
function cached<T>(key: string, dir: string, load: () => T): T {
  const k = `${key}\u0000${dir}`;
  if (!cache.has(k)) cache.set(k, load());
  return cache.get(k) as T;
}

function splitsOf<T>(records: readonly T[], splitOf: (r: T) => string, who: string): Record<SplitName, T[]> {
  const out: Record<SplitName, T[]> = { train: [], val: [], test: [] };
  for (const r of records) {
    const s = splitOf(r);
    if (s !== "train" && s !== "val" && s !== "test") throw new DatasetError(`${who}: unknown split "${s}" in the data file`);
    out[s].push(r);
  }
  return out;
}

/** The tab-separated rows of a (checked) text data file. */
function tsvRows(file: string, dir: string, who: string): string[][] {
  return readDatasetFile(file, { dir, caller: who })
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t"));
}

function copySplits<T>(s: Record<SplitName, readonly T[]>): Record<SplitName, T[]> {
  return { train: s.train.slice(), val: s.val.slice(), test: s.test.slice() };
}

export interface LoadOptions {
  /** Read from another datasets folder (one with its own manifest.json); for tests. */
  dir?: string;
}

// ---------------------------------------------------------------------------------------------
// SpamAssassin

/** One e-mail: its decoded body text only (no headers), and whether it is spam. */
export interface SpamMessage {
  /** "<group>/<number>", e.g. "spam-2/00001": the source file in the SpamAssassin corpus. */
  readonly id: string;
  /** Corpus folder: easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
  readonly group: string;
  /** 1 = spam, 0 = ham. */
  readonly label: 0 | 1;
  /** The body as readable text (MIME decoded, HTML reduced to text), at most the size cap. */
  readonly text: string;
  /** True when the body was longer than the cap and was cut. */
  readonly capped: boolean;
}

export interface SpamData extends Record<SplitName, SpamMessage[]> {
  /** Label names by label value: labelNames[1] === "spam". */
  labelNames: ["ham", "spam"];
}

/** The SpamAssassin bodies, split 80/10/10 stratified by label (datasets/README.md has the figures). */
export function loadSpam(opts: LoadOptions = {}): SpamData {
  const dir = opts.dir ?? datasetsDir();
  const splits = cached("spam", dir, () => {
    const who = "loadSpam";
    const lines = readDatasetFile("spam/messages.jsonl.gz", { dir, caller: who }).toString("utf8").split("\n").filter((l) => l !== "");
    const records = lines.map((line, i) => {
      let r: SpamMessage & { split: string };
      try {
        r = JSON.parse(line);
      } catch {
        throw new DatasetError(`${who}: line ${i + 1} of spam/messages.jsonl.gz is not JSON; ${restoreHint(dir, "spam/messages.jsonl.gz")}`);
      }
      return { split: r.split, msg: Object.freeze({ id: r.id, group: r.group, label: r.label, text: r.text, capped: r.capped }) as SpamMessage };
    });
    expectCount(who, dir, "spam", "messages", records.length);
    const s = splitsOf(records, (r) => r.split, who);
    return { train: s.train.map((r) => r.msg), val: s.val.map((r) => r.msg), test: s.test.map((r) => r.msg) };
  });
  return { ...copySplits(splits), labelNames: ["ham", "spam"] };
}

// ---------------------------------------------------------------------------------------------
// First names

/** Lower-case first names (a-z only), split 80/10/10 by name. */
export function loadNames(opts: LoadOptions = {}): Record<SplitName, string[]> {
  const dir = opts.dir ?? datasetsDir();
  const splits = cached("names", dir, () => {
    const who = "loadNames";
    const rows = tsvRows("names/names.tsv", dir, who);
    expectCount(who, dir, "names", "names", rows.length);
    const s = splitsOf(rows, (r) => r[1], who);
    return { train: s.train.map((r) => r[0]), val: s.val.map((r) => r[0]), test: s.test.map((r) => r[0]) };
  });
  return copySplits(splits);
}

// ---------------------------------------------------------------------------------------------
// CMUdict

/** One dictionary word with every pronunciation it has, as ARPAbet phonemes without stress. */
export interface PronunciationEntry {
  /** Lower-case a-z, e.g. "read". */
  readonly word: string;
  /** One or more pronunciations in dictionary order (the first is the most common): [["R","EH","D"], ["R","IY","D"]]. */
  readonly pronunciations: readonly (readonly string[])[];
}

/** CMUdict, alphabetic words only, stress removed, split 90/5/5 by word. */
export function loadCmudict(opts: LoadOptions = {}): Record<SplitName, PronunciationEntry[]> {
  const dir = opts.dir ?? datasetsDir();
  const splits = cached("cmudict", dir, () => {
    const who = "loadCmudict";
    const rows = tsvRows("cmudict/cmudict.tsv.gz", dir, who);
    expectCount(who, dir, "cmudict", "words", rows.length);
    const entries = rows.map(([word, split, prons]) => ({
      split,
      entry: Object.freeze({
        word,
        pronunciations: Object.freeze(prons.split("|").map((p) => Object.freeze(p.split(" ")))),
      }) as PronunciationEntry,
    }));
    const s = splitsOf(entries, (r) => r.split, who);
    return { train: s.train.map((r) => r.entry), val: s.val.map((r) => r.entry), test: s.test.map((r) => r.entry) };
  });
  return copySplits(splits);
}

// ---------------------------------------------------------------------------------------------
// MNIST

/** `count` images of `height` x `width` grey pixels (0 = background, 255 = ink), row-major. */
export interface ImageSet {
  /** [count * height * width] bytes: image i starts at i * height * width. */
  images: Uint8Array;
  /** [count] digits 0-9. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** The `mnist` package's 10,000 digits: 8,000 train / 2,000 test, stratified by digit, shuffled. */
export function loadMnist(opts: LoadOptions = {}): { train: ImageSet; test: ImageSet } {
  const dir = opts.dir ?? datasetsDir();
  const sets = cached("mnist", dir, () => {
    const who = "loadMnist";
    const load = (split: "train" | "test"): ImageSet => {
      const images = readDatasetFile(`mnist/${split}-images.u8.gz`, { dir, caller: who });
      const labels = readDatasetFile(`mnist/${split}-labels.u8`, { dir, caller: who });
      if (images.length !== labels.length * 784) {
        throw new DatasetError(`${who}: mnist/${split}-images.u8.gz holds ${images.length} bytes for ${labels.length} labels (expected ${labels.length * 784}); ${restoreHint(dir, "mnist/")}`);
      }
      expectCount(who, dir, "mnist", split, labels.length);
      return { images: new Uint8Array(images), labels: new Uint8Array(labels), count: labels.length, height: 28, width: 28 };
    };
    return { train: load("train"), test: load("test") };
  });
  const copy = (s: ImageSet): ImageSet => ({ ...s, images: s.images.slice(), labels: s.labels.slice() });
  return { train: copy(sets.train), test: copy(sets.test) };
}

// ---------------------------------------------------------------------------------------------
// Generic batching helpers

export interface PaddedBatch {
  /** [rows * length] ids, row-major; positions past a row's length hold the pad id. */
  ids: Int32Array;
  /** [rows, length]: pass to tf.tensor2d(ids, shape, "int32"). */
  shape: [number, number];
  /** Real (non-padding) tokens in each row, after truncation. */
  lengths: number[];
  /** How many rows were longer than `length` and were cut (their first `length` ids kept). */
  truncated: number;
}

/**
 * Pads ragged id sequences into one [rows, length] batch. `length` defaults to the longest row;
 * rows longer than `length` are cut to their first `length` ids and counted in `truncated`.
 */
export function padBatch(seqs: readonly (readonly number[])[], opts: { padId: number; length?: number }): PaddedBatch {
  const fn = "padBatch";
  if (!Array.isArray(seqs)) throw new LabInputError(`${fn}: argument "seqs" must be an array of id arrays, got ${typeof seqs}`);
  if (!Number.isInteger(opts?.padId)) throw new LabInputError(`${fn}: option "padId" must be an integer, got ${opts?.padId}`);
  seqs.forEach((s, i) => {
    if (!Array.isArray(s)) throw new LabInputError(`${fn}: seqs[${i}] must be an array of ids, got ${typeof s}`);
    for (let j = 0; j < s.length; j++) {
      if (!Number.isInteger(s[j])) throw new LabInputError(`${fn}: seqs[${i}][${j}] is ${s[j]}, not an integer id`);
    }
  });
  const longest = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const length = opts.length ?? longest;
  if (!Number.isInteger(length) || length < 1) throw new LabInputError(`${fn}: option "length" must be an integer >= 1, got ${length}`);
  const ids = new Int32Array(seqs.length * length).fill(opts.padId);
  const lengths: number[] = [];
  let truncated = 0;
  seqs.forEach((s, r) => {
    const n = Math.min(s.length, length);
    if (s.length > length) truncated++;
    for (let j = 0; j < n; j++) ids[r * length + j] = s[j];
    lengths.push(n);
  });
  return { ids, shape: [seqs.length, length], lengths, truncated };
}

/**
 * Mini-batches of row indices 0..n-1 for one epoch, in a seeded random order: the same seed gives
 * the same batches. The last batch is smaller when n is not a multiple of batchSize.
 */
export function batchIndices(n: number, batchSize: number, seed: number): number[][] {
  if (!Number.isInteger(n) || n < 0) throw new LabInputError(`batchIndices: argument "n" must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new LabInputError(`batchIndices: argument "batchSize" must be an integer >= 1, got ${batchSize}`);
  const order = shuffled(Array.from({ length: n }, (_, i) => i), seed);
  const out: number[][] = [];
  for (let i = 0; i < n; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}
