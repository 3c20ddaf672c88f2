/**
 * `npm run bench -- grade-batch`: a class graded the way a tutor does it, through the real CLI
 * (`--submissions DIR --out OUT`, sandbox on): 8 generated submissions (the reference, the stubs
 * and mutated references, 2 of each of 4 kinds), every exercise. Prints wall time, CPU time
 * (this process's children: the CLI, its workers and the sandboxes), submissions per minute and
 * the load average, and checks the marks (reference full, stubs 0, mutants in between, and the
 * same marks for the same file whichever student submitted it). Targets (issue 15): one
 * submission ≤ 20 s, a batch of 40 ≤ 10 minutes, i.e. ≥ 4 submissions per minute on 2 cores.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CLI, LIB_DIR, REGISTER, ROOT, SOLUTIONS_DIR } from "../grader/paths";
import type { Benchmark, BenchRow } from "./harness";

const MODULES = ["tensors", "attention", "multihead", "blocks"];

function write(dir: string, from: string, edit?: (module: string, text: string) => string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const m of MODULES) {
    const text = fs.readFileSync(path.join(from, `${m}.ts`), "utf8").split("../lib/support/").join("./support/");
    fs.writeFileSync(path.join(dir, `${m}.ts`), edit ? edit(m, text) : text);
  }
}

function cpuSecondsOfChildren(): number {
  // /proc/self/stat fields 16 and 17: children's user and system time, in clock ticks.
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

export const gradeBatchBenchmark: Benchmark = {
  name: "grade-batch",
  async run(): Promise<BenchRow[]> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-grade-batch-"));
    try {
      const subs = path.join(tmp, "subs");
      for (const i of [1, 2]) {
        write(path.join(subs, `ref-${i}`), SOLUTIONS_DIR);
        write(path.join(subs, `stub-${i}`), LIB_DIR);
        // No scaling in attention: 1.2 and everything built on it.
        write(path.join(subs, `noscale-${i}`), SOLUTIONS_DIR, (m, t) => (m === "attention" ? t.replace(/Math\.sqrt\(dk\)/, "1") : t));
        // A loop in causalMask at n = 7 (the watchdog's case).
        write(path.join(subs, `loop-${i}`), SOLUTIONS_DIR, (m, t) => (m === "attention" ? t.replace('requireInt("causalMask", "n", n, 1);', 'requireInt("causalMask", "n", n, 1);\n  if (n === 7) for (;;);') : t));
      }
      const n = fs.readdirSync(subs).length;
      const load = os.loadavg()[0];
      const cpu0 = cpuSecondsOfChildren();
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, "--submissions", subs, "--out", path.join(tmp, "out"), "--timeout", "5000", "--force"], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      const wall = (Date.now() - t0) / 1000;
      const cpu = cpuSecondsOfChildren() - cpu0;
      if (r.status !== 0) throw new Error(`grade-batch: the grader failed: ${r.stderr.slice(-2000)}`);
      const rows = fs.readFileSync(path.join(tmp, "out", "gradebook.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
      const total = Object.fromEntries(rows.map((c) => [c[0], Number(c[c.length - 2])]));
      const max = Number(/Total: \d+\/(\d+)/.exec(r.stdout)?.[1]);
      const problems: string[] = [];
      for (const i of [1, 2]) {
        if (total[`ref-${i}`] !== max) problems.push(`ref-${i} got ${total[`ref-${i}`]}/${max}`);
        if (total[`stub-${i}`] !== 0) problems.push(`stub-${i} got ${total[`stub-${i}`]}`);
        for (const k of ["noscale", "loop"]) if (!(total[`${k}-${i}`] > 0 && total[`${k}-${i}`] < max)) problems.push(`${k}-${i} got ${total[`${k}-${i}`]}`);
      }
      for (const k of ["ref", "stub", "noscale", "loop"]) if (total[`${k}-1`] !== total[`${k}-2`]) problems.push(`${k}: two identical submissions got ${total[`${k}-1`]} and ${total[`${k}-2`]}`);
      if (problems.length > 0) throw new Error(`grade-batch: wrong marks: ${problems.join("; ")}`);
      const perMinute = (60 * n) / wall;
      const detail = `${n} submissions, ${wall.toFixed(0)} s wall, ${cpu.toFixed(0)} s CPU (${(cpu / n).toFixed(1)} s each), load ${load.toFixed(1)}, ${os.cpus().length} cores`;
      return [
        { name: "batch: submissions per minute (target: 40 in 10 min)", variant: "sandbox", value: Math.round(perMinute * 10) / 10, unit: "/min", detail, target: { op: ">=", value: 4 } },
        { name: "batch: wall time per submission", variant: "sandbox", value: Math.round((wall / n) * 10) / 10, unit: "s", detail: "2 students at a time", target: { op: "<=", value: 20 } },
        { name: "batch: CPU time per submission", variant: "sandbox", value: Math.round((cpu / n) * 10) / 10, unit: "s" },
      ];
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
