/**
 * Shared pieces of the maintainer's build scripts: getting the source packages (installed with
 * `npm install --no-save` into a temporary folder, never as dependencies of the kit), seeded
 * stratified splits, and writing files together with their checksums in datasets/manifest.json.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { shuffled } from "../../lib/support/random";

export const DATASETS = path.resolve(__dirname, "..");
export const MANIFEST = path.join(DATASETS, "manifest.json");

/** The split every build uses unless told otherwise; any non-zero integer would do. */
export const SPLIT_SEED = 20240611;

export interface SourcePackage {
  name: string;
  version: string;
}

/**
 * node_modules folder holding the given packages: `--sources DIR` / LAB_DATASET_SOURCES (a
 * folder whose node_modules already has them, e.g. from an earlier build), else a fresh
 * temporary folder filled by `npm install --no-save --ignore-scripts`.
 */
export function sourceModules(pkgs: readonly SourcePackage[], sourcesDir?: string): string {
  const given = sourcesDir ?? process.env.LAB_DATASET_SOURCES;
  const dir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), "attention-lab-sources-"));
  const modules = path.join(dir, "node_modules");
  const missing = pkgs.filter((p) => {
    const pj = path.join(modules, p.name, "package.json");
    return !fs.existsSync(pj) || JSON.parse(fs.readFileSync(pj, "utf8")).version !== p.version;
  });
  if (missing.length > 0) {
    const specs = missing.map((p) => `${p.name}@${p.version}`);
    console.log(`installing ${specs.join(" ")} into ${dir} (npm install --no-save) ...`);
    if (!fs.existsSync(path.join(dir, "package.json"))) {
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "attention-lab-dataset-sources", private: true }) + "\n");
    }
    execFileSync("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", dir, ...specs], { stdio: "inherit" });
    if (!given) console.log(`(the sources stay in ${dir}: pass --sources ${dir} to the next build to skip the download, delete it when done)`);
  }
  return modules;
}

export function sha256(buf: Buffer): string {
  return crypto.createHash("sha256").update(buf).digest("hex");
}

/**
 * Assigns each item to a split: items are shuffled with `seed`, grouped by label (labels in
 * sorted order, the shuffled order kept inside each group), then dealt out so that every prefix
 * of that list has split counts as close to the fractions as integers allow. Result: the split
 * sizes are exactly round(fraction * n) overall (largest remainder) and each label's share of
 * every split is within two items of its proportional share.
 */
export function stratifiedSplit<T>(
  items: readonly T[],
  labelOf: (item: T) => string | number,
  fractions: Readonly<Record<string, number>>,
  seed: number,
): Map<T, string> {
  const names = Object.keys(fractions);
  const total = names.reduce((s, k) => s + fractions[k], 0);
  if (Math.abs(total - 1) > 1e-9) throw new Error(`stratifiedSplit: fractions must add up to 1, got ${total}`);
  const n = items.length;
  // Exact split sizes: floor, then the largest remainders (ties to the earlier split) get one more.
  const sizes = names.map((k) => Math.floor(fractions[k] * n));
  const order = names.map((k, i) => ({ i, rem: fractions[k] * n - sizes[i] })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (let j = 0; j < n - sizes.reduce((s, x) => s + x, 0); j++) sizes[order[j].i]++;

  const mixed = shuffled(items, seed);
  const key = (x: T) => labelOf(x);
  const labels = [...new Set(mixed.map(key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const grouped = labels.flatMap((l) => mixed.filter((x) => key(x) === l));
  const have = names.map(() => 0);
  const out = new Map<T, string>();
  grouped.forEach((item, pos) => {
    let best = 0;
    let bestDeficit = -Infinity;
    names.forEach((_, s) => {
      const deficit = ((pos + 1) * sizes[s]) / n - have[s];
      if (deficit > bestDeficit + 1e-12) {
        best = s;
        bestDeficit = deficit;
      }
    });
    have[best]++;
    out.set(item, names[best]);
  });
  return out;
}

interface ManifestShape {
  about: string;
  files: Record<string, { sha256: string; bytes: number; contentSha256?: string; contentBytes?: number }>;
  datasets: Record<string, unknown>;
}

function readManifestForUpdate(): ManifestShape {
  if (!fs.existsSync(MANIFEST)) {
    return {
      about:
        "Checksums of the committed data files (lib/support/datasets.ts checks them on every load) and the facts of each data set. Written by datasets/build/ (npm run datasets); do not edit by hand.",
      files: {},
      datasets: {},
    };
  }
  return JSON.parse(fs.readFileSync(MANIFEST, "utf8"));
}

/**
 * Writes the files of one data set (paths relative to datasets/; .gz ones are gzipped here,
 * deterministically: no name or time in the header) and replaces that data set's entries in the
 * manifest. `outDir` writes somewhere else (for a --check rebuild) and leaves the manifest alone.
 */
export function writeDataset(
  name: string,
  files: Record<string, Buffer>,
  info: Record<string, unknown>,
  outDir?: string,
): Record<string, { sha256: string; bytes: number; contentSha256?: string; contentBytes?: number }> {
  const entries: ManifestShape["files"] = {};
  for (const [rel, content] of Object.entries(files)) {
    if (!rel.startsWith(name + "/")) throw new Error(`writeDataset: ${rel} is not inside ${name}/`);
    const bytes = rel.endsWith(".gz") ? zlib.gzipSync(content, { level: 9 }) : content;
    const full = path.join(outDir ?? DATASETS, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, bytes);
    entries[rel] = rel.endsWith(".gz")
      ? { sha256: sha256(bytes), bytes: bytes.length, contentSha256: sha256(content), contentBytes: content.length }
      : { sha256: sha256(bytes), bytes: bytes.length };
  }
  if (!outDir) {
    const manifest = readManifestForUpdate();
    for (const k of Object.keys(manifest.files)) if (k.startsWith(name + "/")) delete manifest.files[k];
    Object.assign(manifest.files, entries);
    manifest.files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1)));
    manifest.datasets[name] = info;
    manifest.datasets = Object.fromEntries(Object.entries(manifest.datasets).sort(([a], [b]) => (a < b ? -1 : 1)));
    fs.writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
  }
  return entries;
}

/** Quantiles of a list of numbers (nearest rank), for the build reports. */
export function quantiles(xs: readonly number[], qs: readonly number[]): Record<string, number> {
  const s = [...xs].sort((a, b) => a - b);
  return Object.fromEntries(qs.map((q) => [`p${Math.round(q * 100)}`, s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN]));
}
