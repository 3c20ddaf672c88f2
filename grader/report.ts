/**
 * Turning raw results into a report, and the report into text, Markdown, Gradescope JSON or CSV.
 *
 * Feedback reads as one line per distinct problem: failed tests that share a problem (the same
 * mistake seen on eight value tests) are listed once, naming the tests by number, with one test's
 * evidence as an example. Credited tests (no double jeopardy, cause.ts) and type errors come as
 * notes.
 */
import type { ExerciseInfo } from "../lib/support/exercises";
import type { PoolRun } from "./pool";
import type { ModuleState } from "./stage";
import { editionNote } from "./reference";
import type { TypeErrors } from "./typecheck";
import type { Check, FailureKind, ResultLine } from "./types";

export interface TestReport {
  exercise: string;
  name: string;
  score: number;
  max: number;
  passed: boolean;
  kind?: FailureKind;
  /** The whole feedback of this test (problem and detail). */
  feedback?: string;
  problem?: string;
  detail?: string;
  /** Why a passed test was credited although the result differed. */
  note?: string;
  /** True when the same whole-file problem was already reported for an earlier test of the exercise. */
  repeated?: boolean;
  /** A tutor's hidden test (--extra-tests): its feedback never shows its inputs or the student's output. */
  hidden?: boolean;
}

/** What a failed hidden test says, whatever went wrong (its inputs and the student's error text stay private). */
export const HIDDEN_FEEDBACK = "failed (a hidden test: its inputs and details are not shown)";

/** Hidden tests are the extra checks (their names start with "extra: "). */
export function isHiddenTest(name: string): boolean {
  return name.startsWith("extra: ");
}

/** One problem (or note) and the tests (1-based numbers within the exercise) that share it. */
export interface Grouped {
  text: string;
  tests: number[];
  /** One test's own evidence, e.g. "test 5: max abs difference …". */
  example?: string;
}

export interface ExerciseReport {
  info: ExerciseInfo;
  score: number;
  max: number;
  tests: TestReport[];
  problems: Grouped[];
  notes: Grouped[];
}

export interface GradeReport {
  /** What was graded, as shown to the reader ("lib/ (your code)", a folder name, …). */
  submission: string;
  exercises: ExerciseReport[];
  score: number;
  max: number;
  /** Notes about the whole submission (where its files were found, type errors). */
  notes: string[];
  /** The notes on the submission's files alone (intake.ts: found somewhere unexpected, duplicates, none found, ignored), for the class summary. */
  fileNotes?: string[];
  /** What a tutor should look at: what the sandbox saw the submission try (denied reads, patched built-ins, restarts). */
  flags: string[];
}

/** Problems that concern the whole file: print them once per exercise, not on every test. */
const FILE_LEVEL: ReadonlySet<FailureKind | undefined> = new Set<FailureKind | undefined>(["not-implemented", "missing", "forbidden", "load-error", "crashed"]);

export interface AssembleInput {
  submission: string;
  exercises: readonly ExerciseInfo[];
  checks: (ex: ExerciseInfo) => readonly Check[];
  modules: readonly ModuleState[];
  /** The workers' result lines. */
  lines: readonly ResultLine[];
  /** Exercises whose worker got as far as loading the submission. */
  started: ReadonlySet<string>;
  pool?: PoolRun;
  maxTimeMs: number;
  jobLimitMs: (ex: ExerciseInfo) => number;
  typeErrors?: TypeErrors;
  /** Where the submission's files were found (intake.ts): notes on the whole submission. */
  intakeNotes?: readonly string[];
  /** What the sandbox noted, per exercise. */
  flags?: readonly { exercise: string; flags: readonly string[] }[];
  /** Rewrites machine-specific paths out of feedback (deterministic, path-free messages). */
  sanitize: (text: string) => string;
}

function noResult(input: AssembleInput, ex: ExerciseInfo): { kind: FailureKind; feedback: string } {
  const why = input.pool?.stopped.get(ex.id);
  if (why === "run-limit") {
    return { kind: "crashed", feedback: `timed out / crashed: grading was stopped at its time limit (${Math.round(input.maxTimeMs / 1000)} s) before this test finished` };
  }
  if (why === "job-limit") {
    return { kind: "crashed", feedback: `timed out / crashed: grading exercise ${ex.id} was stopped at its time limit (${Math.round(input.jobLimitMs(ex) / 1000)} s) before this test finished` };
  }
  return {
    kind: "crashed",
    feedback: "timed out / crashed: the grading process died before this test reported (out of memory, process.exit or a fatal error in your code?)",
  };
}

function group(tests: readonly TestReport[], pick: (t: TestReport) => string | undefined, example: (t: TestReport) => string | undefined): Grouped[] {
  const out: Grouped[] = [];
  tests.forEach((t, i) => {
    const text = pick(t);
    if (text === undefined) return;
    const g = out.find((x) => x.text === text);
    if (g) g.tests.push(i + 1);
    else {
      const ex = example(t);
      out.push({ text, tests: [i + 1], example: ex ? `test ${i + 1}: ${ex}` : undefined });
    }
  });
  return out;
}

/** Combines the expected checks, staging problems and what the workers reported into a report. */
export function assembleReport(input: AssembleInput): GradeReport {
  const exercises = input.exercises.map((info): ExerciseReport => {
    const mod = input.modules.find((m) => m.module === info.module);
    const tests = input.checks(info).map((check): TestReport => {
      const base = { exercise: info.id, name: check.name, max: check.points };
      if (mod && mod.status !== "ok") {
        const kind: FailureKind = mod.status === "syntax-error" ? "load-error" : mod.status;
        return { ...base, score: 0, passed: false, kind, feedback: mod.feedback, problem: mod.feedback };
      }
      const line = input.lines.find((l) => l.exercise === info.id && l.name === check.name);
      if (isHiddenTest(check.name)) {
        const passed = line?.passed === true;
        return passed
          ? { ...base, score: check.points, passed: true, hidden: true }
          : { ...base, score: 0, passed: false, kind: line?.kind ?? "crashed", feedback: HIDDEN_FEEDBACK, problem: HIDDEN_FEEDBACK, hidden: true };
      }
      if (line) {
        const s = (x: string | undefined) => (x === undefined ? undefined : input.sanitize(x));
        return line.passed
          ? { ...base, score: check.points, passed: true, note: s(line.note) }
          : { ...base, score: 0, passed: false, kind: line.kind ?? "fail", feedback: s(line.feedback ?? "failed"), problem: s(line.problem ?? line.feedback), detail: s(line.detail) };
      }
      const r = noResult(input, info);
      return { ...base, score: 0, passed: false, ...r, problem: r.feedback };
    });
    const seen = new Set<string>();
    for (const t of tests) {
      if (t.passed || !FILE_LEVEL.has(t.kind)) continue;
      const key = `${t.kind}\u0000${t.feedback}`;
      if (seen.has(key)) t.repeated = true;
      seen.add(key);
    }
    return {
      info,
      tests,
      score: tests.reduce((s, t) => s + t.score, 0),
      max: tests.reduce((s, t) => s + t.max, 0),
      problems: group(tests, (t) => (t.passed ? undefined : (t.problem ?? t.feedback ?? "failed")), (t) => t.detail),
      notes: group(tests, (t) => (t.passed ? t.note : undefined), () => undefined),
    };
  });
  const typeNotes = Object.entries(input.typeErrors?.byModule ?? {})
    .filter(([m]) => input.exercises.some((e) => e.module === m))
    .map(([m, errors]) => {
      const shown = errors.slice(0, 3).join("; ");
      const more = errors.length > 3 ? `; and ${errors.length - 3} more` : "";
      return (
        `lib/${m}.ts has ${errors.length} TypeScript error${errors.length === 1 ? "" : "s"} (marks are not affected, but the notebook ` +
        `refuses to run the file until they are fixed; \`npx tsc -p .\` lists them): ${input.sanitize(shown)}${more}`
      );
    });
  const fileNotes = (input.intakeNotes ?? []).map(input.sanitize);
  const notes = [...fileNotes, ...typeNotes];
  const edition = editionNote();
  if (edition && exercises.some((e) => e.score < e.max)) notes.push(edition);
  return {
    submission: input.submission,
    exercises,
    score: exercises.reduce((s, e) => s + e.score, 0),
    max: exercises.reduce((s, e) => s + e.max, 0),
    notes,
    ...(fileNotes.length > 0 ? { fileNotes } : {}),
    flags: (input.flags ?? [])
      .filter((f) => input.exercises.some((e) => e.id === f.exercise))
      .flatMap((f) => f.flags.map((text) => `exercise ${f.exercise}: ${input.sanitize(text)}`)),
  };
}

/**
 * The feedback shared by every test of the exercise when they all failed for one file-level
 * reason (stub, missing file, …): the report then prints that one line instead of every test.
 */
export function commonFailure(ex: ExerciseReport): string | undefined {
  const first = ex.tests[0];
  if (!first || first.passed || !FILE_LEVEL.has(first.kind) || first.kind === "crashed") return undefined;
  return ex.tests.every((t) => !t.passed && t.kind === first.kind && t.feedback === first.feedback) ? first.feedback : undefined;
}

/** "test 5", "tests 5, 6 and 9". */
export function testsLabel(tests: readonly number[]): string {
  if (tests.length === 1) return `test ${tests[0]}`;
  return `tests ${tests.slice(0, -1).join(", ")} and ${tests[tests.length - 1]}`;
}

function groupedLine(g: Grouped, withExample: boolean): string {
  return `${testsLabel(g.tests)}: ${g.text}${withExample && g.example ? ` (${g.example})` : ""}`;
}

/** Plain-text report: one block per exercise (numbered tests, then its problems and notes), then the total. */
export function formatText(r: GradeReport): string {
  const lines: string[] = [`Attention Lab grader: ${r.submission}`, ""];
  for (const ex of r.exercises) {
    lines.push(`${ex.info.id} ${ex.info.title} (${ex.info.fn} in lib/${ex.info.module}.ts): ${ex.score}/${ex.max}`);
    const common = commonFailure(ex);
    if (common) {
      lines.push(`  FAIL  0/${ex.max}  all ${ex.tests.length} tests: ${common}`, "");
      continue;
    }
    const num = String(ex.tests.length).length;
    const pts = Math.max(...ex.tests.map((t) => `${t.score}/${t.max}`.length));
    ex.tests.forEach((t, i) => {
      lines.push(`  ${String(i + 1).padEnd(num)}  ${t.passed ? "PASS" : "FAIL"}  ${`${t.score}/${t.max}`.padEnd(pts)}  ${t.name}`);
    });
    if (ex.problems.length > 0) {
      lines.push("  Problems:");
      for (const g of ex.problems) lines.push(`  - ${groupedLine(g, true)}`);
    }
    if (ex.notes.length > 0) {
      lines.push("  Notes:");
      for (const g of ex.notes) lines.push(`  - ${groupedLine(g, false)}`);
    }
    lines.push("");
  }
  for (const n of r.notes) lines.push(`Note: ${n}`, "");
  for (const f of r.flags) lines.push(`Flagged: ${f}`, "");
  lines.push(`Total: ${r.score}/${r.max}`);
  return `${lines.join("\n")}\n`;
}

function mdCell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\r?\n/g, " ");
}

function mdText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/</g, "&lt;").replace(/([*_`])/g, "\\$1").replace(/\r?\n/g, " ");
}

/** The same report as Markdown (the notebooks' check cells display this): left-aligned tables, then the problems. */
export function formatMarkdown(r: GradeReport): string {
  const lines: string[] = [`**Graded:** ${mdText(r.submission)}`, ""];
  for (const ex of r.exercises) {
    lines.push(`#### ${ex.info.id} ${mdText(ex.info.title)} (\`${ex.info.fn}\`): ${ex.score}/${ex.max}`, "");
    const common = commonFailure(ex);
    if (common) {
      lines.push(`**FAIL** (all ${ex.tests.length} tests, 0/${ex.max}): ${mdText(common)}`, "");
      continue;
    }
    // Explicit left alignment: the classic notebook right-aligns table cells unless told otherwise.
    lines.push("| # | Result | Points | Test |", "|:---|:---|:---|:---|");
    ex.tests.forEach((t, i) => lines.push(`| ${i + 1} | ${t.passed ? "PASS" : "**FAIL**"} | ${t.score}/${t.max} | ${mdCell(t.name)} |`));
    lines.push("");
    if (ex.problems.length > 0) {
      lines.push("**Problems**", "");
      for (const g of ex.problems) lines.push(`- ${mdText(groupedLine(g, true))}`);
      lines.push("");
    }
    if (ex.notes.length > 0) {
      lines.push("**Notes**", "");
      for (const g of ex.notes) lines.push(`- ${mdText(groupedLine(g, false))}`);
      lines.push("");
    }
  }
  for (const n of r.notes) lines.push(`**Note:** ${mdText(n)}`, "");
  for (const f of r.flags) lines.push(`**Flagged:** ${mdText(f)}`, "");
  lines.push(`**Total: ${r.score}/${r.max}**`);
  return `${lines.join("\n")}\n`;
}

/** Gradescope's results.json: each test carries its own whole feedback (or its note). */
export type Visibility = "hidden" | "after_due_date" | "after_published" | "visible";
export const VISIBILITIES: readonly Visibility[] = ["hidden", "after_due_date", "after_published", "visible"];

export function toGradescope(r: GradeReport, opts: { hiddenVisibility?: Visibility } = {}): Record<string, unknown> {
  const tests = r.exercises.flatMap((ex) =>
    ex.tests.map((t, i) => ({
      ...(t.hidden ? { visibility: opts.hiddenVisibility ?? "after_published" } : {}),
      name: `${ex.info.id} ${ex.info.fn}: ${t.name}`,
      number: `${ex.info.id}.${i + 1}`,
      score: t.score,
      max_score: t.max,
      status: t.passed ? "passed" : "failed",
      output: t.passed ? (t.note ?? "") : t.repeated ? `(same problem as the first failed test of exercise ${ex.info.id})` : (t.feedback ?? ""),
    })),
  );
  const summary = r.exercises.map((e) => `${e.info.id} ${e.info.fn}: ${e.score}/${e.max}`).join("; ");
  const notes = r.notes.length > 0 ? ` ${r.notes.map((n) => `Note: ${n}`).join(" ")}` : "";
  return { score: r.score, max_score: r.max, output: `Total ${r.score}/${r.max}. ${summary}.${notes}`, visibility: "visible", tests };
}

/**
 * GitHub Classroom's runner result (what its autograding-grading-reporter action decodes from a
 * step output, base64): one test per exercise, scored in points, "pass" only at full marks, its
 * message the exercise's problems and notes as the text report words them. Classroom's grade is
 * the sum of the scores over max_score.
 */
export function toClassroom(r: GradeReport): Record<string, unknown> {
  const tests = r.exercises.map((ex) => {
    const common = commonFailure(ex);
    const lines = common
      ? [`all ${ex.tests.length} tests: ${common}`]
      : [...ex.problems.map((g) => groupedLine(g, true)), ...ex.notes.map((g) => `note: ${groupedLine(g, false)}`)];
    return {
      name: `${ex.info.id} ${ex.info.fn} (lib/${ex.info.module}.ts)`,
      status: ex.score === ex.max ? "pass" : "fail",
      score: ex.score,
      max_score: ex.max,
      message: [`${ex.score}/${ex.max}`, ...lines].join("\n"),
    };
  });
  // Notes on the whole submission (type errors, the edition's limits) and flags ride on the first
  // exercise's message: a test of their own would count as one more passed test in the reporter.
  const extra = [...r.notes.map((n) => `Note: ${n}`), ...r.flags.map((f) => `Flagged: ${f}`)];
  if (extra.length > 0 && tests[0]) tests[0].message += `\n${extra.join("\n")}`;
  return { version: 1, status: r.score === r.max ? "pass" : "fail", max_score: r.max, tests };
}

function csvField(s: string | number): string {
  const t = String(s);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** CSV: a header row, then one row per report (submission, one column per exercise, total). */
export function toCsv(reports: readonly { name: string; report: GradeReport }[], exercises: readonly ExerciseInfo[]): string {
  const header = ["submission", ...exercises.map((e) => e.id), "total", "flags"];
  const rows = reports.map(({ name, report }) => [
    name,
    ...exercises.map((e) => report.exercises.find((x) => x.info.id === e.id)?.score ?? 0),
    report.score,
    report.flags.join("; "),
  ]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(",")).join("\n")}\n`;
}
