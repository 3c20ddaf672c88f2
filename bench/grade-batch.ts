/**
 * `npm run bench -- grade-batch [--class N]`: a class graded the way a tutor does it, through the
 * real CLI (`--submissions DIR --out OUT`, sandbox on): N generated submissions (default 40, the
 * issue's class) in equal shares of five kinds — the reference, the stubs, a reference without
 * the 1/sqrt(dk) scaling (1.2 and everything built on it fails), a reference whose causalMask
 * loops at n = 7 (the watchdog's case), and a half-finished one (notebooks 00–03 done, the rest
 * stubs) — every exercise file. Prints wall time, CPU time (this process's children: the CLI,
 * its workers and the sandboxes), submissions per minute and the load average, and checks the
 * marks (reference full, stubs 0, the others in between, and the same marks for the same file
 * whichever student submitted it). Targets (issue 15): a class of 40 in ≤ 10 minutes, one
 * submission ≤ 20 s of wall time on 2 cores.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EXERCISE_MODULES } from "../lib/support/exercises";
import { CLI, LIB_DIR, REGISTER, ROOT, SOLUTIONS_DIR } from "../grader/paths";
import type { Benchmark, BenchRow } from "./harness";

/** Every graded exercise file (a submission without one would lose that file's marks as "missing"). */
const MODULES = EXERCISE_MODULES;

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

/** Notebooks 00–03's exercise files: a half-finished submission has these done and the rest stubs. */
const FIRST_HALF = new Set(["tensors", "attention", "multihead", "blocks"]);

const KINDS: readonly { name: string; write(dir: string): void; expect(total: number, max: number): boolean }[] = [
  { name: "ref", write: (d) => write(d, SOLUTIONS_DIR), expect: (t, max) => t === max },
  { name: "stub", write: (d) => write(d, LIB_DIR), expect: (t) => t === 0 },
  // No scaling in attention: 1.2 and everything built on it.
  { name: "noscale", write: (d) => write(d, SOLUTIONS_DIR, (m, t) => (m === "attention" ? t.replace(/Math\.sqrt\(dk\)/, "1") : t)), expect: (t, max) => t > 0 && t < max },
  // A loop in causalMask at n = 7 (the watchdog's case).
  {
    name: "loop",
    write: (d) => write(d, SOLUTIONS_DIR, (m, t) => (m === "attention" ? t.replace('requireInt("causalMask", "n", n, 1);', 'requireInt("causalMask", "n", n, 1);\n  if (n === 7) for (;;);') : t)),
    expect: (t, max) => t > 0 && t < max,
  },
  {
    name: "half",
    write: (d) => {
      write(d, SOLUTIONS_DIR, (m, t) => (FIRST_HALF.has(m) ? t : fs.readFileSync(path.join(LIB_DIR, `${m}.ts`), "utf8").split("../lib/support/").join("./support/")));
    },
    expect: (t, max) => t > 0 && t < max,
  },
];

export const gradeBatchBenchmark: Benchmark = {
  name: "grade-batch",
  async run(): Promise<BenchRow[]> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-grade-batch-"));
    try {
      const subs = path.join(tmp, "subs");
      const at = process.argv.indexOf("--class");
      const classSize = at >= 0 ? Number(process.argv[at + 1]) : 40;
      if (!Number.isInteger(classSize) || classSize < KINDS.length) throw new Error(`grade-batch: --class must be a whole number ≥ ${KINDS.length}, got ${process.argv[at + 1]}`);
      for (let i = 0; i < classSize; i++) {
        const kind = KINDS[i % KINDS.length];
        kind.write(path.join(subs, `${kind.name}-${String(Math.floor(i / KINDS.length) + 1).padStart(2, "0")}`));
      }
      const n = fs.readdirSync(subs).length;
      const load = os.loadavg()[0];
      const cpu0 = cpuSecondsOfChildren();
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, "--submissions", subs, "--out", path.join(tmp, "out"), "--timeout", "5000", "--force", "--profile"], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      const wall = (Date.now() - t0) / 1000;
      const cpu = cpuSecondsOfChildren() - cpu0;
      const loadAfter = os.loadavg()[0];
      // Where the first student's time went (the CLI prints one profile per student).
      const prof = r.stderr.indexOf("profile (wall / CPU)");
      if (prof >= 0) {
        const lines = r.stderr.slice(prof).split("\n");
        // (In a batch the CLI's CPU figures overlap with the student graded beside it.)
        console.log(`  first student: ${lines.slice(0, lines.findIndex((l) => l.startsWith("  total")) + 1).join("\n  ")}`);
      }
      if (r.status !== 0) throw new Error(`grade-batch: the grader failed: ${r.stderr.slice(-2000)}`);
      const rows = fs.readFileSync(path.join(tmp, "out", "gradebook.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
      const total = Object.fromEntries(rows.map((c) => [c[0], Number(c[c.length - 2])]));
      const max = Number(/Total: \d+\/(\d+)/.exec(r.stdout)?.[1]);
      const problems: string[] = [];
      for (const kind of KINDS) {
        const got = Object.entries(total).filter(([id]) => id.startsWith(`${kind.name}-`));
        const marks = new Set(got.map(([, t]) => t));
        if (marks.size !== 1) problems.push(`${kind.name}: identical submissions got ${[...marks].join(", ")}`);
        for (const [id, t] of got) if (!kind.expect(t, max)) problems.push(`${id} got ${t}/${max}`);
      }
      if (problems.length > 0) throw new Error(`grade-batch: wrong marks: ${problems.join("; ")}`);
      const perMinute = (60 * n) / wall;
      const detail = `${n} submissions, ${wall.toFixed(0)} s wall, ${cpu.toFixed(0)} s CPU (${(cpu / n).toFixed(1)} s each), load ${load.toFixed(1)} → ${loadAfter.toFixed(1)}, ${os.cpus().length} cores`;
      return [
        { name: `batch: a class of ${n}, graded`, variant: "sandbox", value: Math.round((wall / 60) * 10) / 10, unit: "min", detail, target: n === 40 ? { op: "<=", value: 10 } : undefined },
        { name: "batch: submissions per minute", variant: "sandbox", value: Math.round(perMinute * 10) / 10, unit: "/min", detail: "target: 40 in 10 min", target: { op: ">=", value: 4 } },
        { name: "batch: wall time per submission", variant: "sandbox", value: Math.round((wall / n) * 10) / 10, unit: "s", detail: "2 students at a time", target: { op: "<=", value: 20 } },
        { name: "batch: CPU time per submission", variant: "sandbox", value: Math.round((cpu / n) * 10) / 10, unit: "s", detail: "all processes" },
      ];
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
