/**
 * The grader's command line: `npm run grade -- [IDS...] [options]` (see USAGE).
 *
 * Exit status: 0 whenever grading completed, whatever the score; 2 for a usage error; 1 when
 * the grader itself failed. With --format markdown, stdout holds the report and nothing else
 * (lib/support/grade.ts displays it in the notebooks); diagnostics go to stderr.
 */
import * as fs from "fs";
import * as path from "path";
import { EXERCISE_MODULES, EXERCISES, findExercise, type ExerciseInfo } from "../lib/support/exercises";
import { checksFor } from "../tests/grading/checks";
import { loadExtraChecks } from "./extra";
import { ROOT, SOLUTIONS_DIR } from "./paths";
import { gradescopeResults, gradingStamp, progress, upToDate, writeClassFiles, writeStudent } from "./batch";
import { defaultWorkers, runPool, type PoolRun } from "./pool";
import { assembleReport, formatMarkdown, formatText, toClassroom, toCsv, VISIBILITIES, type GradeReport, type Visibility } from "./report";
import { stageRunner } from "./sandbox/client";
import { isZipFile } from "./intake";
import { newRunDir, stageImpl } from "./stage";
import { stopTypeCheckThread, typeCheckInThread, type TypeCheckTiming, type TypeErrors } from "./typecheck";
import { formatProfile, processCpu } from "./profile";
import type { Check, ResultLine } from "./types";
import type { Job } from "./worker";

/** The exercise files, from the exercise table, wrapped to the help's column. */
function exerciseFilesText(indent: string, width = 64): string {
  const lines: string[] = [];
  let line = "";
  for (const w of `${EXERCISE_MODULES.map((m) => `${m}.ts`).join(", ")}`.split(" ")) {
    if (line && `${line} ${w}`.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

const USAGE = `Usage: npm run grade -- [IDS...] [options]

Grades the exercises IDS (e.g. 1.2 or scaledDotProductAttention; default: all).
A submission is a folder or a .zip holding the exercise files, at any depth (a note says where
they were found when it was not at the top or in lib/; nothing else of it is used):
  ${exerciseFilesText("  ", 76)}

Options:
  --impl lib|solutions|DIR  what to grade: your lib/ (default), the reference, or a
                            submission: a folder or a .zip (above)
  --submissions DIR         grade every subfolder and .zip of DIR (one per student; the id is
                            the name without .zip); one CSV row each
  --out DIR                 with --submissions: write DIR/gradebook.csv, DIR/summary.txt and
                            .html, and DIR/<student>/results.json (Gradescope) + feedback.txt,
                            each as soon as that student is graded; a re-run skips students
                            whose files are unchanged (see --force)
  --parallel N              students graded at once in a batch (default 2)
  --force                   regrade every student even when up to date
  --format text|markdown    report format on stdout (default text)
  --json FILE               write Gradescope's results.json; with --submissions, one file for
                            the class: {"submissions": [{"submission": ID, ...}]}, each entry
                            that student's results.json (the file --out writes per student)
  --csv FILE                write a CSV: header, then one row per submission
  --classroom FILE          write GitHub Classroom's runner result (JSON; the workflow the
                            student edition ships base64-encodes it for the reporter action)
  --extra-tests DIR         also run the checks in DIR/*.checks.ts: hidden tests (their feedback
                            never shows inputs or details)
  --hidden-visibility V     Gradescope visibility of the hidden tests: hidden, after_due_date,
                            after_published (default) or visible
  --timeout MS              time limit of each graded test (default 10000)
  --max-time MS             hard limit for a whole grading run (default: from the number of tests)
  --jobs N                  grading worker processes (default: one per core)
  --isolate                 a new worker process (and sandbox) for every exercise (slower)
  --sandbox / --no-sandbox  run the submission's code in a locked-down process of its own
                            (default: on for --impl DIR and --submissions, off for lib and
                            solutions; see README, "The sandbox")
  --no-typecheck            skip the type check of the submission's files
  --keep                    keep the staging folder out/grading/<run>/
  --profile                 print where the time went (start-up, type check, sandboxes, checks) on stderr
  --verbose                 copy the grading workers' own output to stderr
  -h, --help                this help
`;

class UsageError extends Error {}

interface Options {
  ids: string[];
  impl: string;
  submissions?: string;
  out?: string;
  parallel: number;
  force: boolean;
  format: "text" | "markdown";
  json?: string;
  csv?: string;
  classroom?: string;
  extraTests?: string;
  hiddenVisibility: Visibility;
  timeoutMs: number;
  maxTimeMs?: number;
  jobs?: number;
  isolate: boolean;
  sandbox?: boolean;
  typecheck: boolean;
  keep: boolean;
  profile: boolean;
  verbose: boolean;
  help: boolean;
}

/** npm runs scripts from the project root; INIT_CWD is where the user typed the command. */
function userPath(p: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Parses the command line (flags as `--flag value` or `--flag=value`); throws UsageError. */
export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { ids: [], impl: "lib", parallel: 2, force: false, hiddenVisibility: "after_published", format: "text", timeoutMs: 10_000, isolate: false, typecheck: true, keep: false, profile: false, verbose: false, help: false };
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
      case "--out": o.out = value(flag, inline); break;
      case "--parallel": o.parallel = positiveInt(flag, value(flag, inline), "students"); break;
      case "--force": o.force = true; break;
      case "--format": {
        const f = value(flag, inline);
        if (f !== "text" && f !== "markdown") throw new UsageError(`--format must be text or markdown, got "${f}"`);
        o.format = f;
        break;
      }
      case "--json": o.json = value(flag, inline); break;
      case "--csv": o.csv = value(flag, inline); break;
      case "--classroom": o.classroom = value(flag, inline); break;
      case "--extra-tests": o.extraTests = value(flag, inline); break;
      case "--hidden-visibility": {
        const v = value(flag, inline);
        if (!(VISIBILITIES as readonly string[]).includes(v)) throw new UsageError(`--hidden-visibility must be one of ${VISIBILITIES.join(", ")}, got "${v}"`);
        o.hiddenVisibility = v as Visibility;
        break;
      }
      case "--timeout": o.timeoutMs = positiveInt(flag, value(flag, inline)); break;
      case "--max-time": o.maxTimeMs = positiveInt(flag, value(flag, inline)); break;
      case "--jobs": o.jobs = positiveInt(flag, value(flag, inline), "worker processes"); break;
      case "--isolate": o.isolate = true; break;
      case "--sandbox": o.sandbox = true; break;
      case "--no-sandbox": o.sandbox = false; break;
      case "--no-typecheck": o.typecheck = false; break;
      case "--keep": o.keep = true; break;
      case "--profile": o.profile = true; break;
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

/** Milliseconds from this process's start to the CLI's main() (Node and the grader's modules). */
let mainStartedAt: number | undefined;
function cliStartMs(): number {
  return Math.round((mainStartedAt ?? process.uptime()) * 1000);
}
/** The first profile printed counts the CLI's start-up; later ones (a batch) only their own time. */
let profiledOnce = false;

/** Grades one implementation end to end: stage, type-check and grade in parallel, assemble. Throws if the grader failed. */
async function gradeOne(implArg: string, shown: string, exercises: readonly ExerciseInfo[], o: Options): Promise<GradeReport> {
  const extraDir = o.extraTests ? userPath(o.extraTests) : undefined;
  const extra = extraDir ? loadExtraChecks(extraDir) : [];
  const checks = (ex: ExerciseInfo): readonly Check[] => [...checksFor(ex.id), ...extra.filter((c) => c.exercise === ex.id)];
  const runDir = newRunDir();
  const t0 = Date.now();
  const cpu0 = processCpu();
  try {
    const builtIn = implArg === "lib" || implArg === "solutions";
    const staged = stageImpl(builtIn ? implArg : userPath(implArg), runDir);
    const stageMs = Date.now() - t0;
    let typeCheckTiming: TypeCheckTiming | undefined;
    const sandboxed = o.sandbox ?? !builtIn;
    if (sandboxed) stageRunner(runDir);
    const ok = (m: string) => staged.modules.find((s) => s.module === m)?.status === "ok";
    const runnable = exercises.filter((ex) => ok(ex.module));
    const nTests = exercises.reduce((n, ex) => n + checks(ex).length, 0);
    // Generous: every test and every exercise's start-up may use its full time limit.
    const maxTimeMs = o.maxTimeMs ?? 60_000 + (nTests + runnable.length) * o.timeoutMs;
    const modules = [...new Set(runnable.map((e) => e.module))];
    const typeErrors: Promise<TypeErrors | undefined> =
      o.typecheck && implArg !== "solutions" && modules.length > 0 ? typeCheckInThread(staged.srcDir, modules, (t) => (typeCheckTiming = t)) : Promise.resolve(undefined);
    const resultsFile = path.join(staged.resultsDir, "worker.jsonl");
    // Composite exercises first: they take longest, so the pool's makespan is shortest.
    const order = [...runnable].sort((a, b) => (b.uses?.length ?? 0) - (a.uses?.length ?? 0));
    const jobs: Job[] = order.map((ex) => ({ exercise: ex.id, implDir: staged.implDir, guardDir: staged.guardDir, resultsFile, timeoutMs: o.timeoutMs, extraDir, sandboxRunDir: sandboxed ? runDir : undefined }));
    let pool: PoolRun | undefined;
    const tPool = Date.now();
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
    const poolMs = Date.now() - tPool;
    const raw = readLines(resultsFile);
    const sanitize = (text: string): string =>
      text.split(`${staged.implDir}${path.sep}`).join("lib/").split(staged.implDir).join("lib").split(`${ROOT}${path.sep}`).join("");
    const typeErrorsFound = await typeErrors;
    if (o.profile) {
      process.stderr.write(
        `${shown}: ${formatProfile({ cliStartMs: cliStartMs(), stageMs, typeCheck: typeCheckTiming, poolMs, pool: pool?.profile, cliCpu: processCpu() - (profiledOnce ? cpu0 : 0), totalMs: Date.now() - t0 + (profiledOnce ? 0 : cliStartMs()) })}`,
      );
      profiledOnce = true;
    }
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
      typeErrors: typeErrorsFound,
      intakeNotes: staged.notes,
      flags: raw.filter((l) => l.src === "flags").map((l) => ({ exercise: String(l.exercise), flags: Array.isArray(l.flags) ? l.flags.map(String) : [] })),
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

/** The hidden tests' names and contents (a changed hidden test regrades everyone). */
function extraTestsKey(dir: string): string {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".checks.ts"))
    .sort()
    .map((f) => `${f}\0${fs.readFileSync(path.join(dir, f), "utf8")}`)
    .join("\0");
}

/**
 * Grades the students of a batch, `o.parallel` at a time (each with its share of the worker
 * processes), printing each report in id order and writing --out files as each one finishes.
 * Resolves to whether any student could not be graded.
 */
async function gradeBatch(jobs: { name: string; impl: string; shown: string }[], exercises: ExerciseInfo[], o: Options, done: { name: string; report: GradeReport; seconds?: number }[]): Promise<boolean> {
  const outDir = o.out ? userPath(o.out) : undefined;
  const optionsKey = JSON.stringify([exercises.map((e) => e.id), o.timeoutMs, o.extraTests ? extraTestsKey(userPath(o.extraTests)) : "", o.sandbox, o.hiddenVisibility]);
  const parallel = Math.max(1, Math.min(o.parallel, jobs.length));
  const workers = o.jobs ?? Math.max(1, Math.floor(defaultWorkers() / parallel));
  const results = new Map<string, GradeReport>();
  const tty = process.stderr.isTTY === true;
  let failed = false;
  let finished = 0;
  let printed = 0;
  const printReady = () => {
    // Reports go to stdout in id order whatever order they finish in.
    while (printed < jobs.length && results.has(jobs[printed].name)) {
      const job = jobs[printed++];
      const report = results.get(job.name);
      if (report) process.stdout.write(o.format === "markdown" ? `## ${job.name}\n\n${formatMarkdown(report)}\n` : `=== ${job.name} ===\n${formatText(report)}\n`);
    }
  };
  const queue = [...jobs];
  const one = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const t0 = Date.now();
      const stamp = outDir ? gradingStamp(job.impl, optionsKey) : "";
      let report = outDir && !o.force ? upToDate(outDir, job.name, stamp) : undefined;
      const skipped = report !== undefined;
      try {
        report ??= await gradeOne(job.impl, job.shown, exercises, { ...o, jobs: workers });
      } catch (e) {
        failed = true;
        process.stderr.write(`grade: could not grade ${job.shown}: ${(e as Error).stack ?? e}\n`);
      }
      finished++;
      if (report) {
        results.set(job.name, report);
        done.push({ name: job.name, report, seconds: skipped ? undefined : (Date.now() - t0) / 1000 });
        if (outDir) {
          if (!skipped) writeStudent(outDir, { name: job.name, report }, stamp, (Date.now() - t0) / 1000, o.hiddenVisibility);
          writeClassFiles(outDir, done, exercises);
        }
      } else {
        results.set(job.name, undefined as unknown as GradeReport);
      }
      const flagged = done.filter((d) => d.report.flags.length > 0).length;
      const line = progress(finished, jobs.length, flagged, `${job.name}${skipped ? " (up to date)" : ""}`);
      process.stderr.write(tty ? `\r${line}${finished === jobs.length ? "\n" : ""}` : `${line}\n`);
      printReady();
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  done.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return failed;
}

/**
 * One student's entry in the class file that `--submissions … --json FILE` writes: that student's
 * results.json as --out writes it (gradescopeResults); for a student skipped as up to date, the
 * file --out wrote when they were graded (it holds their grading's execution_time).
 */
function classEntry(d: { name: string; report: GradeReport; seconds?: number }, o: Options): object {
  if (d.seconds === undefined && o.out) {
    try {
      return JSON.parse(fs.readFileSync(path.join(userPath(o.out), d.name, "results.json"), "utf8")) as object;
    } catch {
      // removed since: built below
    }
  }
  return gradescopeResults(d.report, d.seconds ?? 0, o.hiddenVisibility);
}

/**
 * The students of a class folder: each subfolder, and each .zip (its id is the name without
 * ".zip", or the whole name when a folder already has that id); anything else is named on stderr
 * as ignored. Hidden entries (.DS_Store, .git) are skipped.
 */
function classSubmissions(dir: string): { name: string; impl: string; shown: string }[] {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith("."));
  const folders = new Set(entries.filter((d) => d.isDirectory()).map((d) => d.name));
  const out: { name: string; impl: string; shown: string }[] = [];
  const ignored: string[] = [];
  for (const d of entries) {
    const impl = path.join(dir, d.name);
    if (d.isDirectory()) out.push({ name: d.name, impl, shown: d.name });
    else if (d.isFile() && isZipFile(impl)) {
      const id = d.name.replace(/\.zip$/i, "");
      out.push({ name: folders.has(id) || id === "" ? d.name : id, impl, shown: d.name });
    } else ignored.push(d.name);
  }
  if (ignored.length > 0) process.stderr.write(`grade: ignored in ${dir} (neither a folder nor a .zip): ${ignored.join(", ")}\n`);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Runs the CLI; resolves to the exit status (0 graded, 1 grader failure, 2 usage error). */
export async function main(argv: readonly string[]): Promise<number> {
  mainStartedAt ??= process.uptime();
  const started = Date.now();
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
    if (o.impl === "solutions" && !fs.existsSync(SOLUTIONS_DIR)) {
      throw new UsageError("--impl solutions: this is the student edition, which has no solutions/ (it grades against the reference's recorded outputs)");
    }
    if (!o.submissions && o.impl !== "lib" && o.impl !== "solutions" && !fs.existsSync(userPath(o.impl))) {
      throw new UsageError(`--impl: ${o.impl} is neither lib, solutions nor an existing folder or .zip`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`grade: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }

  const jobs = o.submissions
    ? classSubmissions(userPath(o.submissions))
    : [{ name: o.impl === "lib" || o.impl === "solutions" ? o.impl : path.basename(path.resolve(userPath(o.impl))), impl: o.impl, shown: describeImpl(o.impl) }];

  if (o.out && !o.submissions) {
    process.stderr.write(`grade: --out needs --submissions\n\n${USAGE}`);
    return 2;
  }
  if (o.classroom && o.submissions) {
    process.stderr.write(`grade: --classroom grades one submission (a student's repository); for a class use --out\n\n${USAGE}`);
    return 2;
  }
  const done: { name: string; report: GradeReport; seconds?: number }[] = [];
  let failed = false;
  if (o.submissions) {
    failed = await gradeBatch(jobs, exercises, o, done);
  } else {
    for (const job of jobs) {
      try {
        const report = await gradeOne(job.impl, job.shown, exercises, o);
        done.push({ name: job.name, report });
        process.stdout.write(o.format === "markdown" ? formatMarkdown(report) : formatText(report));
      } catch (e) {
        failed = true;
        process.stderr.write(`grade: could not grade ${job.shown}: ${(e as Error).stack ?? e}\n`);
      }
    }
  }
  if (o.json) {
    const json = o.submissions
      ? { submissions: done.map((d) => ({ submission: d.name, ...classEntry(d, o) })) }
      : done[0]
        ? gradescopeResults(done[0].report, (Date.now() - started) / 1000, o.hiddenVisibility)
        : {};
    writeFile(o.json, `${JSON.stringify(json, null, 2)}\n`);
  }
  if (o.csv) writeFile(o.csv, toCsv(done, exercises));
  if (o.classroom) {
    const max = exercises.reduce((s, e) => s + e.points, 0);
    // A grader failure still gives the reporter a result to show, not a missing step output.
    const result = done[0]
      ? toClassroom(done[0].report)
      : { version: 1, status: "error", max_score: max, tests: [{ name: "grader", status: "error", score: 0, max_score: max, message: "the grader could not grade this repository: see the grading step's log" }] };
    writeFile(o.classroom, `${JSON.stringify(result, null, 2)}\n`);
  }
  stopTypeCheckThread();
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
