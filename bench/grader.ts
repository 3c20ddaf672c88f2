/**
 * `npm run bench -- grader`: how sharp, fair and fast the grader is.
 *
 * - The fairness suite's full cross product (bench/grader-cross.ts, split over the cores): every
 *   planted file of tests/fairness/ spliced into an otherwise correct submission and graded on
 *   every exercise. Measured: the share of mutants that lose marks (for their bug: missing input
 *   checks alone do not count), the share whose feedback names the real cause (the touched
 *   exercise's feedback contains the mutant's @cause text; every later exercise that loses marks
 *   or is credited names the planted exercise; exercises that do not build on it keep full
 *   marks), and the share of correct alternatives with full marks on every exercise.
 * - Time to grade one submission through the real command (`npm run grade -- --impl DIR`), wall
 *   and CPU time, for a copy of the reference, the stubs and two planted mistakes, each made
 *   unique so that no cached type check or compile helps. `--timing-only` measures just this.
 * - `--only ID,ID`: the cross product for just those planted files (mutants or alternatives, by
 *   file name without .ts), with the same checks and figures over them, and no timings: a quick
 *   look at a few files while sharpening the feedback. Its shares are not the benchmark's.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closureOf, EXERCISE_MODULES, EXERCISES, findExercise } from "../lib/support/exercises";
import { defaultWorkers } from "../grader/pool";
import { REGISTER, ROOT } from "../grader/paths";
import { assembleSubmission, plantedFiles, type Planted } from "../tests/fairness/planted";
import type { CrossResult, CrossTest } from "./grader-cross";
import { median, type Benchmark, type BenchRow } from "./harness";

function runShare(part: number, parts: number, only?: readonly string[]): Promise<CrossResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", REGISTER, path.join(__dirname, "grader-cross.ts"), String(part), String(parts), ...(only ? [only.join(",")] : [])], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`bench/grader-cross.ts ${part}/${parts} exited with ${code}`));
      else resolve(out.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as CrossResult));
    });
  });
}

/** The exercises whose functions a planted file defines (usually just its @exercise). */
function touched(p: Planted): string[] {
  const text = fs.readFileSync(p.file, "utf8");
  const fns = [...text.matchAll(/export\s+(?:function|const)\s+(\w+)/g)].map((m) => m[1]);
  const ids = EXERCISES.filter((e) => fns.includes(e.fn)).map((e) => e.id);
  return ids.includes(p.exercise) ? ids : [p.exercise, ...ids];
}

const lost = (tests: readonly CrossTest[]) => tests.filter((t) => !t.passed);
const noted = (tests: readonly CrossTest[]) => tests.filter((t) => t.passed && t.text);

/** Why a mutant's feedback does not name its real cause, or undefined when it does. */
function causeProblem(p: Planted, r: CrossResult): string | undefined {
  const own = lost(r.byExercise[p.exercise]).map((t) => t.text ?? "").join("\n");
  const missing = p.cause.filter((c) => !own.includes(c));
  if (missing.length > 0) return `${p.exercise}: feedback lacks "${missing[0]}"`;
  const planted = touched(p);
  const labels = planted.map((id) => `${id} ${findExercise(id).fn}`);
  for (const ex of EXERCISES) {
    if (planted.includes(ex.id)) continue;
    const tests = r.byExercise[ex.id];
    const affected = [...lost(tests), ...noted(tests)];
    const dependent = closureOf(ex.id).some((id) => planted.includes(id));
    if (!dependent) {
      if (affected.length > 0) return `${ex.id} does not build on ${planted.join(", ")} but ${affected[0].passed ? "got a note" : "lost marks"}: ${affected[0].text}`;
      continue;
    }
    const silent = affected.find((t) => !labels.some((l) => (t.text ?? "").includes(l)));
    if (silent) return `${ex.id} ${silent.name}: "${silent.text}" does not name ${labels.join(" or ")}`;
    const also = p.also[ex.id];
    if (also && !affected.some((t) => (t.text ?? "").includes(also))) return `${ex.id}: no feedback contains "${also}"`;
  }
  return undefined;
}

function losesMarks(p: Planted, r: CrossResult): boolean {
  return lost(r.byExercise[p.exercise]).some((t) => t.category === p.category || (p.category === "values" && t.category !== "errors"));
}

function userCpuSeconds(): boolean {
  return fs.existsSync("/usr/bin/time");
}

/** Wall and CPU seconds (the whole process tree: CLI, type check, workers, sandboxes) of one `npm run grade -- --impl DIR`, and its --profile breakdown. */
function timeGrade(dir: string): { wall: number; cpu?: number; total: string; profile: string } {
  const args = ["run", "--silent", "grade", "--", "--impl", dir, "--profile"];
  const t0 = Date.now();
  const r = userCpuSeconds()
    ? spawnSync("/usr/bin/time", ["-f", "CPU %U %S", "npm", ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
    : spawnSync("npm", args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const wall = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`npm run grade -- --impl ${dir} failed (${r.status}): ${r.stderr}`);
  const m = r.stderr.match(/CPU ([\d.]+) ([\d.]+)/);
  const total = r.stdout.match(/Total: (\d+\/\d+)/)?.[1] ?? "?";
  const profile = r.stderr.slice(r.stderr.indexOf("profile (wall / CPU)")).replace(/\nCPU [\d.]+ [\d.]+\s*$/, "").trimEnd();
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : undefined, total, profile };
}

/** A submission folder whose files no cache has seen: a comment with a fresh stamp in each. */
function unique(dir: string): string {
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) fs.appendFileSync(path.join(dir, f), `\n// bench ${stamp}\n`);
  return dir;
}

/** The planted ids of `--only ID,ID`, or undefined without it. */
function onlyIds(): string[] | undefined {
  const at = process.argv.indexOf("--only");
  if (at < 0) return undefined;
  const ids = (process.argv[at + 1] ?? "").split(",").filter((id) => id !== "");
  const known = new Set([...plantedFiles("mutants"), ...plantedFiles("alternatives")].map((p) => p.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (ids.length === 0 || unknown.length > 0) throw new Error(`bench grader: --only needs planted ids (file names without .ts, comma-separated)${unknown.length > 0 ? `; unknown: ${unknown.join(", ")}` : ""}`);
  return ids;
}

const pct = (n: number, of: number) => (of === 0 ? 100 : (100 * n) / of);

/** The cross product's rows: the three shares and its time. */
function crossRows(mutants: number, notLosing: number, unnamed: number, alternatives: number, unfair: number, variant: string, seconds: number, parts: number, load: number): BenchRow[] {
  return [
    { name: "mutants that lose marks", variant: `${mutants} planted`, value: pct(mutants - notLosing, mutants), unit: "%", detail: `${notLosing} keep their marks`, target: { op: ">=", value: 100 } },
    {
      name: "mutants whose feedback names the real cause",
      variant: `${mutants} planted`,
      value: pct(mutants - unnamed, mutants),
      unit: "%",
      detail: `${mutants - unnamed} of ${mutants}, on every exercise`,
      target: { op: ">=", value: 90 },
    },
    { name: "correct alternatives at full marks", variant: `${alternatives} planted`, value: pct(alternatives - unfair, alternatives), unit: "%", detail: "every exercise, no notes", target: { op: ">=", value: 100 } },
    { name: "fairness cross product", variant, value: seconds, unit: "s", detail: `${parts} processes, load ${load.toFixed(1)} at start` },
  ];
}

export const graderBenchmark: Benchmark = {
  name: "grader",
  async run(): Promise<BenchRow[]> {
    const load = os.loadavg()[0];
    // --timing-only: just the one-submission timings (a minute or two), without the cross product.
    const timingOnly = process.argv.includes("--timing-only");
    const only = onlyIds();
    if (timingOnly && only) throw new Error("bench grader: --only and --timing-only exclude each other");
    const parts = Math.max(1, Math.min(defaultWorkers(), only?.length ?? Infinity));
    const mutants = plantedFiles("mutants").filter((p) => !only || only.includes(p.id));
    const alternatives = plantedFiles("alternatives").filter((p) => !only || only.includes(p.id));
    const t0 = Date.now();
    const results = timingOnly ? [] : (await Promise.all([...Array(parts).keys()].map((i) => runShare(i, parts, only)))).flat();
    const crossSeconds = (Date.now() - t0) / 1000;
    const byId = new Map(results.map((r) => [r.id, r]));
    const notLosing = timingOnly ? [] : mutants.filter((m) => !losesMarks(m, byId.get(m.id) as CrossResult));
    const unnamed = timingOnly ? [] : mutants.map((m) => [m, causeProblem(m, byId.get(m.id) as CrossResult)] as const).filter(([, why]) => why !== undefined);
    const unfair = timingOnly ? [] : alternatives.filter((a) => EXERCISES.some((ex) => (byId.get(a.id) as CrossResult).byExercise[ex.id].some((t) => !t.passed || t.text)));
    for (const m of notLosing) console.log(`  mutant keeps its marks: ${m.id} (${m.what})`);
    for (const [m, why] of unnamed) console.log(`  cause not named: ${m.id}: ${why}`);
    for (const a of unfair) console.log(`  alternative loses marks: ${a.id}`);
    if (only) {
      // Each selected mutant's own feedback, to read what a student would.
      for (const m of mutants) {
        const own = lost((byId.get(m.id) as CrossResult).byExercise[m.exercise]).map((t) => `${t.name}: ${t.text ?? ""}`);
        console.log(`  ${m.id} (${m.exercise}) ${unnamed.some(([u]) => u === m) ? "cause NOT named" : "names the cause"}; feedback:\n    ${own.join("\n    ")}`);
      }
      return crossRows(mutants.length, notLosing.length, unnamed.length, alternatives.length, unfair.length, `${results.length} files (--only) × ${EXERCISES.length} exercises`, crossSeconds, parts, load);
    }

    // Time to grade one submission, through the real command.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-bench-time-"));
    const subs: [string, string][] = [];
    try {
      const ref = path.join(tmp, "reference");
      assembleSubmission([], ref);
      subs.push(["reference copy", unique(ref)]);
      const stubs = path.join(tmp, "stubs");
      fs.mkdirSync(stubs);
      for (const m of EXERCISE_MODULES) fs.copyFileSync(path.join(ROOT, "lib", `${m}.ts`), path.join(stubs, `${m}.ts`));
      subs.push(["stubs", unique(stubs)]);
      for (const id of ["1.2-softmax-over-queries", "3.4-memory-mask-forgotten"]) {
        const p = mutants.find((m) => m.id === id) as Planted;
        subs.push([`mutant ${id}`, unique(assembleSubmission([p], path.join(tmp, id)))]);
      }
      const loadBefore = os.loadavg()[0];
      const timings = subs.map(([label, dir]) => ({ label, ...timeGrade(dir) }));
      const loadAfter = os.loadavg()[0];
      for (const t of timings) console.log(`  ${t.label}: ${t.total} in ${t.wall.toFixed(1)} s wall${t.cpu !== undefined ? `, ${t.cpu.toFixed(1)} s CPU` : ""}`);
      // Where the time of the first one (the reference copy) went.
      console.log(`  ${subs[0][0]}: ${timings[0].profile.split("\n").join("\n  ")}`);
      const walls = timings.map((t) => t.wall);
      const cpus = timings.every((t) => t.cpu !== undefined) ? timings.map((t) => t.cpu as number) : undefined;
      const loadText = `load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}, ${os.cpus().length} cores`;
      const shares = crossRows(mutants.length, notLosing.length, unnamed.length, alternatives.length, unfair.length, `${results.length} files × ${EXERCISES.length} exercises`, crossSeconds, parts, load);
      return [
        ...(timingOnly ? [] : shares.slice(0, 3)),
        { name: "one submission: median wall time", variant: `npm run grade, ${timings.length} submissions`, value: median(walls), unit: "s", detail: loadText, target: { op: "<=", value: 20 } },
        { name: "one submission: slowest wall time", variant: `npm run grade, ${timings.length} submissions`, value: Math.max(...walls), unit: "s", detail: loadText, target: { op: "<=", value: 20 } },
        ...(cpus
          ? [
              { name: "one submission: median CPU time", variant: "CLI + type check + workers + sandboxes", value: median(cpus), unit: "s", detail: "all processes" },
              { name: "one submission: most CPU time", variant: "CLI + type check + workers + sandboxes", value: Math.max(...cpus), unit: "s", detail: "≤ 40 s CPU fits 20 s wall on 2 idle cores" },
            ]
          : []),
        ...(timingOnly ? [] : shares.slice(3)),
      ];
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
