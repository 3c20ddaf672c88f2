/**
 * `npm run bench [-- NAME...]`: run the benchmarks, print one table, write out/bench/results.json,
 * and exit 1 if any target is missed. Benchmarks are not tests: they measure wall-clock time.
 */
import * as fs from "fs";
import * as path from "path";
import { attentionBenchmark } from "./attention";
import { efficientBenchmark } from "./efficient";
import { graderBenchmark } from "./grader";
import { gradeBatchBenchmark } from "./grade-batch";
import { Benchmark, BenchRow, formatTable, passed } from "./harness";
import { g2pBenchmark } from "./g2p";
import { gptStepBenchmark } from "./gpt-step";
import { namesBenchmark } from "./names";
import { spamBenchmark } from "./spam";
import { toyTaskBenchmark } from "./toy-task";
import { vitBenchmark } from "./vit";

const BENCHMARKS: readonly Benchmark[] = [attentionBenchmark, toyTaskBenchmark, gptStepBenchmark, graderBenchmark, namesBenchmark, g2pBenchmark, gradeBatchBenchmark, vitBenchmark, spamBenchmark, efficientBenchmark];

const VALUE_OPTIONS = ["--class", "--only"];

async function main(): Promise<number> {
  // Options that take a value (`--class 40`, `--only ID,ID`): their value is not a benchmark name.
  const args = process.argv.slice(2);
  const wanted = args.filter((a, i) => !a.startsWith("-") && !VALUE_OPTIONS.includes(args[i - 1]));
  const unknown = wanted.filter((w) => !BENCHMARKS.some((b) => b.name === w));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s) ${unknown.join(", ")}; have: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const rows: BenchRow[] = [];
  for (const b of BENCHMARKS.filter((b) => wanted.length === 0 || wanted.includes(b.name))) {
    console.log(`running ${b.name} ...`);
    rows.push(...(await b.run()));
  }
  console.log("\n" + formatTable(rows));
  const out = path.join(__dirname, "..", "out", "bench");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "results.json"), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n");
  const missed = rows.filter((r) => passed(r) === false);
  console.log(missed.length === 0 ? "\nAll targets met." : `\n${missed.length} target(s) MISSED.`);
  return missed.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(2); });
