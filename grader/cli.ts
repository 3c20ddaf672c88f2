/**
 * The grader's command line: `npm run grade -- [IDS...] [options]` (see USAGE).
 *
 * Exit status: 0 whenever grading completed, whatever the score; 2 for a usage error; 1 when
 * the grader itself failed. With --format markdown, stdout holds the report and nothing else
 * (lib/support/grade.ts displays it in the notebooks); diagnostics go to stderr.
 */
import * as fs from "fs";
import * as path from "path";
import { EXERCISES, findExercise, type ExerciseInfo } from "../lib/support/exercises";
import { checksFor } from "../tests/grading/checks";
import { loadExtraChecks } from "./extra";
import { ROOT } from "./paths";
import { runPool, type PoolRun } from "./pool";
import { assembleReport, formatMarkdown, formatText, toCsv, toGradescope, type GradeReport } from "./report";
import { newRunDir, stageImpl } from "./stage";
import { typeCheckInThread, type TypeErrors } from "./typecheck";
import type { Check, ResultLine } from "./types";
import type { Job } from "./worker";

const USAGE = `Usage: npm run grade -- [IDS...] [options]

Grades the exercises IDS (e.g. 1.2 or scaledDotProductAttention; default: all).

Options:
  --impl lib|solutions|DIR  what to grade: your lib/ (default), the reference, or a folder
                            holding a submission's attention.ts / tensors.ts (or a lib/ with them)
  --submissions DIR         grade every subfolder of DIR (one per student); one CSV row each
  --format text|markdown    report format on stdout (default text)
  --json FILE               write Gradescope's results.json
  --csv FILE                write a CSV: header, then one row per submission
  --extra-tests DIR         also run the checks in DIR/*.checks.ts
  --timeout MS              time limit of each graded test (default 10000)
  --max-time MS             hard limit for a whole grading run (default: from the number of tests)
  --jobs N                  grading worker processes (default: one per core)
  --isolate                 a new worker process for every exercise (slower)
  --no-typecheck            skip the type check of the submission's files
  --keep                    keep the staging folder out/grading/<run>/
  --verbose                 copy vitest's own output to stderr
  -h, --help                this help
`;

class UsageError extends Error {}

interface Options {
  ids: string[];
  impl: string;
  submissions?: string;
  format: "text" | "markdown";
  json?: string;
  csv?: string;
  extraTests?: string;
  timeoutMs: number;
  maxTimeMs?: number;
  jobs?: number;
  isolate: boolean;
  typecheck: boolean;
  keep: boolean;
  verbose: boolean;
  help: boolean;
}

/** npm runs scripts from the project root; INIT_CWD is where the user typed the command. */
function userPath(p: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Parses the command line (flags as `--flag value` or `--flag=value`); throws UsageError. */
export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { ids: [], impl: "lib", format: "text", timeoutMs: 10_000, isolate: false, typecheck: true, keep: false, verbose: false, help: false };
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => {
    const v = inline ?? args.shift();
    if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const positiveInt = (flag: string, v: string, unit = "milliseconds"): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number of ${unit}, got "${v}"`);
    return n;
  };
  while (args.length > 0) {
    const arg = args.shift() as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    switch (flag) {
      case "--impl": o.impl = value(flag, inline); break;
      case "--submissions": o.submissions = value(flag, inline); break;
      case "--format": {
        const f = value(flag, inline);
        if (f !== "text" && f !== "markdown") throw new UsageError(`--format must be text or markdown, got "${f}"`);
        o.format = f;
        break;
      }
      case "--json": o.json = value(flag, inline); break;
      case "--csv": o.csv = value(flag, inline); break;
      case "--extra-tests": o.extraTests = value(flag, inline); break;
      case "--timeout": o.timeoutMs = positiveInt(flag, value(flag, inline)); break;
      case "--max-time": o.maxTimeMs = positiveInt(flag, value(flag, inline)); break;
      case "--jobs": o.jobs = positiveInt(flag, value(flag, inline), "worker processes"); break;
      case "--isolate": o.isolate = true; break;
      case "--no-typecheck": o.typecheck = false; break;
      case "--keep": o.keep = true; break;
      case "--verbose": o.verbose = true; break;
      case "-h": case "--help": o.help = true; break;
      default:
        if (flag.startsWith("-")) throw new UsageError(`unknown option ${flag}`);
        o.ids.push(flag);
    }
  }
  return o;
}

function selectExercises(ids: readonly string[]): ExerciseInfo[] {
  if (ids.length === 0) return [...EXERCISES];
  const wanted = new Set(
    ids.map((id) => {
      try {
        return findExercise(id).id;
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }),
  );
  return EXERCISES.filter((e) => wanted.has(e.id)); // table order, whatever the order on the command line
}

function describeImpl(impl: string): string {
  if (impl === "lib") return "lib/ (your code)";
  if (impl === "solutions") return "solutions/ (the reference)";
  return impl;
}

function readLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

/** Time limit of one exercise's job: every test and the start-up may use their full limit. */
function jobLimit(nChecks: number, timeoutMs: number): number {
  return 30_000 + (nChecks + 1) * timeoutMs;
}

/** Grades one implementation end to end: stage, type-check and grade in parallel, assemble. Throws if the grader failed. */
async function gradeOne(implArg: string, shown: string, exercises: readonly ExerciseInfo[], o: Options): Promise<GradeReport> {
  const extraDir = o.extraTests ? userPath(o.extraTests) : undefined;
  const extra = extraDir ? loadExtraChecks(extraDir) : [];
  const checks = (ex: ExerciseInfo): readonly Check[] => [...checksFor(ex.id), ...extra.filter((c) => c.exercise === ex.id)];
  const runDir = newRunDir();
  try {
    const staged = stageImpl(implArg === "lib" || implArg === "solutions" ? implArg : userPath(implArg), runDir);
    const ok = (m: string) => staged.modules.find((s) => s.module === m)?.status === "ok";
    const runnable = exercises.filter((ex) => ok(ex.module));
    const nTests = exercises.reduce((n, ex) => n + checks(ex).length, 0);
    // Generous: every test and every exercise's start-up may use its full time limit.
    const maxTimeMs = o.maxTimeMs ?? 60_000 + (nTests + runnable.length) * o.timeoutMs;
    const modules = [...new Set(runnable.map((e) => e.module))];
    const typeErrors: Promise<TypeErrors | undefined> =
      o.typecheck && implArg !== "solutions" && modules.length > 0 ? typeCheckInThread(staged.srcDir, modules) : Promise.resolve(undefined);
    const resultsFile = path.join(staged.resultsDir, "worker.jsonl");
    // Composite exercises first: they take longest, so the pool's makespan is shortest.
    const order = [...runnable].sort((a, b) => (b.uses?.length ?? 0) - (a.uses?.length ?? 0));
    const jobs: Job[] = order.map((ex) => ({ exercise: ex.id, implDir: staged.implDir, guardDir: staged.guardDir, resultsFile, timeoutMs: o.timeoutMs, extraDir }));
    let pool: PoolRun | undefined;
    if (jobs.length > 0) {
      pool = await runPool(jobs, {
        workers: o.jobs,
        maxTimeMs,
        jobLimitMs: (job) => jobLimit(checks(findExercise(job.exercise)).length, o.timeoutMs),
        isolate: o.isolate,
        verbose: o.verbose,
      });
      if (pool.startError) throw new Error(`the grading run failed before grading anything: ${pool.startError}`);
    }
    const raw = readLines(resultsFile);
    const sanitize = (text: string): string =>
      text.split(`${staged.implDir}${path.sep}`).join("lib/").split(staged.implDir).join("lib").split(`${ROOT}${path.sep}`).join("");
    return assembleReport({
      submission: shown,
      exercises,
      checks,
      modules: staged.modules,
      lines: raw.filter((l) => l.src === "worker") as unknown as ResultLine[],
      started: new Set(raw.filter((l) => l.src === "started").map((l) => String(l.exercise))),
      pool,
      maxTimeMs,
      jobLimitMs: (ex) => jobLimit(checks(ex).length, o.timeoutMs),
      typeErrors: await typeErrors,
      sanitize,
    });
  } finally {
    if (!o.keep) fs.rmSync(runDir, { recursive: true, force: true });
  }
}

function writeFile(file: string, text: string): void {
  const abs = userPath(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

/** Runs the CLI; resolves to the exit status (0 graded, 1 grader failure, 2 usage error). */
export async function main(argv: readonly string[]): Promise<number> {
  let o: Options;
  let exercises: ExerciseInfo[];
  try {
    o = parseArgs(argv);
    if (o.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    exercises = selectExercises(o.ids);
    if (o.submissions && !fs.existsSync(userPath(o.submissions))) throw new UsageError(`--submissions: ${o.submissions} does not exist`);
    if (!o.submissions && o.impl !== "lib" && o.impl !== "solutions" && !fs.existsSync(userPath(o.impl))) {
      throw new UsageError(`--impl: ${o.impl} is neither lib, solutions nor an existing folder`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`grade: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }

  const jobs = o.submissions
    ? fs
        .readdirSync(userPath(o.submissions), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
        .map((name) => ({ name, impl: path.join(userPath(o.submissions as string), name), shown: name }))
    : [{ name: o.impl === "lib" || o.impl === "solutions" ? o.impl : path.basename(path.resolve(userPath(o.impl))), impl: o.impl, shown: describeImpl(o.impl) }];

  const done: { name: string; report: GradeReport }[] = [];
  let failed = false;
  for (const job of jobs) {
    try {
      const report = await gradeOne(job.impl, job.shown, exercises, o);
      done.push({ name: job.name, report });
      if (o.submissions) process.stdout.write(o.format === "markdown" ? `## ${job.name}\n\n` : `=== ${job.name} ===\n`);
      process.stdout.write(o.format === "markdown" ? formatMarkdown(report) : formatText(report));
      if (o.submissions) process.stdout.write("\n");
    } catch (e) {
      failed = true;
      process.stderr.write(`grade: could not grade ${job.shown}: ${(e as Error).stack ?? e}\n`);
    }
  }
  if (o.json) {
    const json = o.submissions ? { submissions: done.map((d) => ({ submission: d.name, ...toGradescope(d.report) })) } : done[0] ? toGradescope(done[0].report) : {};
    writeFile(o.json, `${JSON.stringify(json, null, 2)}\n`);
  }
  if (o.csv) writeFile(o.csv, toCsv(done, exercises));
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`grade: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
