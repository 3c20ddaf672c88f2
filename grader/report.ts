/**
 * Turning raw results into a report, and the report into text, Markdown, Gradescope JSON or CSV.
 */
import type { ExerciseInfo } from "../lib/support/exercises";
import type { ChildRun } from "./child";
import type { ModuleState } from "./stage";
import type { Check, FailureKind } from "./types";

export interface TestReport {
  exercise: string;
  name: string;
  score: number;
  max: number;
  passed: boolean;
  kind?: FailureKind;
  feedback?: string;
  /** True when the same whole-file problem was already reported for an earlier test of the exercise. */
  repeated?: boolean;
}

export interface ExerciseReport {
  info: ExerciseInfo;
  score: number;
  max: number;
  tests: TestReport[];
}

export interface GradeReport {
  /** What was graded, as shown to the reader ("lib/ (your code)", a folder name, …). */
  submission: string;
  exercises: ExerciseReport[];
  score: number;
  max: number;
}

/** Problems that concern the whole file: print them once per exercise, not on every test. */
const FILE_LEVEL: ReadonlySet<FailureKind | undefined> = new Set<FailureKind | undefined>(["not-implemented", "missing", "forbidden", "load-error", "crashed"]);

export interface AssembleInput {
  submission: string;
  exercises: readonly ExerciseInfo[];
  checks: (ex: ExerciseInfo) => readonly Check[];
  modules: readonly ModuleState[];
  child?: ChildRun;
  timeoutMs: number;
  maxTimeMs: number;
  /** Rewrites machine-specific paths out of feedback (deterministic, path-free messages). */
  sanitize: (text: string) => string;
}

function noResult(child: ChildRun | undefined, maxTimeMs: number): { kind: FailureKind; feedback: string } {
  if (child?.killedAtLimit) {
    return { kind: "crashed", feedback: `timed out / crashed: grading was stopped at its time limit (${Math.round(maxTimeMs / 1000)} s) before this test finished` };
  }
  return {
    kind: "crashed",
    feedback: "timed out / crashed: the grading process died before this test reported (out of memory, process.exit or a fatal error in your code?)",
  };
}

/** Combines the expected checks, staging problems and what the child reported into a report. */
export function assembleReport(input: AssembleInput): GradeReport {
  const exercises = input.exercises.map((info): ExerciseReport => {
    const mod = input.modules.find((m) => m.module === info.module);
    const tests = input.checks(info).map((check): TestReport => {
      const base = { exercise: info.id, name: check.name, max: check.points };
      if (mod && mod.status !== "ok") {
        const kind: FailureKind = mod.status === "syntax-error" ? "load-error" : mod.status;
        return { ...base, score: 0, passed: false, kind, feedback: mod.feedback };
      }
      const line = input.child?.worker.find((l) => l.exercise === info.id && l.name === check.name);
      if (line) {
        return line.passed
          ? { ...base, score: check.points, passed: true }
          : { ...base, score: 0, passed: false, kind: line.kind ?? "fail", feedback: input.sanitize(line.feedback ?? "failed") };
      }
      const rep = input.child?.reporter.find((l) => l.test === `${info.id} ${check.name}`);
      if (rep && rep.state !== "passed") {
        const timedOut = /timed out/i.test(rep.message ?? "");
        return {
          ...base,
          score: 0,
          passed: false,
          kind: timedOut ? "timeout" : "crashed",
          feedback: timedOut
            ? `timed out: the test did not finish within ${input.timeoutMs + 10_000} ms`
            : `timed out / crashed: ${input.sanitize((rep.message ?? "no message").split("\n")[0])}`,
        };
      }
      // A pass the reporter saw but the worker could not record still counts; otherwise no result.
      if (rep) return { ...base, score: check.points, passed: true };
      return { ...base, score: 0, passed: false, ...noResult(input.child, input.maxTimeMs) };
    });
    const seen = new Set<string>();
    for (const t of tests) {
      if (t.passed || !FILE_LEVEL.has(t.kind)) continue;
      const key = `${t.kind}\u0000${t.feedback}`;
      if (seen.has(key)) t.repeated = true;
      seen.add(key);
    }
    return { info, tests, score: tests.reduce((s, t) => s + t.score, 0), max: tests.reduce((s, t) => s + t.max, 0) };
  });
  return {
    submission: input.submission,
    exercises,
    score: exercises.reduce((s, e) => s + e.score, 0),
    max: exercises.reduce((s, e) => s + e.max, 0),
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

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** Plain-text report: one block per exercise, feedback under each failed test, then the total. */
export function formatText(r: GradeReport): string {
  const lines: string[] = [`Attention Lab grader: ${r.submission}`, ""];
  for (const ex of r.exercises) {
    lines.push(`${ex.info.id} ${ex.info.title} (${ex.info.fn} in lib/${ex.info.module}.ts): ${ex.score}/${ex.max}`);
    const common = commonFailure(ex);
    if (common) {
      lines.push(`  FAIL  ${pad(`0/${ex.max}`, 5)}  all ${ex.tests.length} tests: ${common}`, "");
      continue;
    }
    for (const t of ex.tests) {
      lines.push(`  ${t.passed ? "PASS" : "FAIL"}  ${pad(`${t.score}/${t.max}`, 5)}  ${t.name}`);
      if (!t.passed && !t.repeated && t.feedback) lines.push(`               ↳ ${t.feedback}`);
    }
    lines.push("");
  }
  lines.push(`Total: ${r.score}/${r.max}`);
  return `${lines.join("\n")}\n`;
}

function mdCell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\r?\n/g, " ");
}

/** The same report as Markdown tables (the notebooks' check cells display this). */
export function formatMarkdown(r: GradeReport): string {
  const lines: string[] = [`**Graded:** ${mdCell(r.submission)}`, ""];
  for (const ex of r.exercises) {
    lines.push(`#### ${ex.info.id} ${mdCell(ex.info.title)} (\`${ex.info.fn}\`): ${ex.score}/${ex.max}`, "");
    const common = commonFailure(ex);
    if (common) {
      lines.push(`**FAIL** (all ${ex.tests.length} tests, 0/${ex.max}): ${mdCell(common)}`, "");
      continue;
    }
    lines.push("| Result | Points | Test | Feedback |", "|:---:|---:|---|---|");
    for (const t of ex.tests) {
      const feedback = t.passed ? "" : t.repeated ? "(same as above)" : mdCell(t.feedback ?? "");
      lines.push(`| ${t.passed ? "PASS" : "**FAIL**"} | ${t.score}/${t.max} | ${mdCell(t.name)} | ${feedback} |`);
    }
    lines.push("");
  }
  lines.push(`**Total: ${r.score}/${r.max}**`);
  return `${lines.join("\n")}\n`;
}

/** Gradescope's results.json. */
export function toGradescope(r: GradeReport): Record<string, unknown> {
  const tests = r.exercises.flatMap((ex) =>
    ex.tests.map((t, i) => ({
      name: `${ex.info.id} ${ex.info.fn}: ${t.name}`,
      number: `${ex.info.id}.${i + 1}`,
      score: t.score,
      max_score: t.max,
      status: t.passed ? "passed" : "failed",
      output: t.passed ? "" : t.repeated ? `(same problem as the first failed test of exercise ${ex.info.id})` : (t.feedback ?? ""),
    })),
  );
  const summary = r.exercises.map((e) => `${e.info.id} ${e.info.fn}: ${e.score}/${e.max}`).join("; ");
  return { score: r.score, max_score: r.max, output: `Total ${r.score}/${r.max}. ${summary}`, visibility: "visible", tests };
}

function csvField(s: string | number): string {
  const t = String(s);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** CSV: a header row, then one row per report (submission, one column per exercise, total). */
export function toCsv(reports: readonly { name: string; report: GradeReport }[], exercises: readonly ExerciseInfo[]): string {
  const header = ["submission", ...exercises.map((e) => e.id), "total"];
  const rows = reports.map(({ name, report }) => [
    name,
    ...exercises.map((e) => report.exercises.find((x) => x.info.id === e.id)?.score ?? 0),
    report.score,
  ]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(",")).join("\n")}\n`;
}
