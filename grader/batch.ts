/**
 * Grading a class: `npm run grade -- --submissions DIR --out OUTDIR`. Every student's results are
 * written as soon as that student is graded (OUTDIR/<id>/results.json in Gradescope's format,
 * OUTDIR/<id>/feedback.txt), and the gradebook and the summary are rewritten after each one, so
 * a batch stopped half-way keeps everything graded so far; a re-run skips students whose files,
 * options and grader are unchanged (OUTDIR/<id>/stamp) unless --force.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { ExerciseInfo } from "../lib/support/exercises";
import { ROOT } from "./paths";
import { formatText, toCsv, toGradescope, type GradeReport, type Visibility } from "./report";

export interface BatchEntry {
  /** The student's id (their folder's name). */
  name: string;
  report: GradeReport;
}

/** Files whose content decides a mark: the grader, the checks, the reference, the kit's support code. */
function kitFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(e.name)) out.push(p);
    }
  };
  for (const d of ["grader", "tests/grading", "solutions", "lib/support"]) walk(path.join(ROOT, d));
  return out;
}

let kitHash: string | undefined;

/** A stamp of one student's grading: their exercise files, the options that change marks, the kit. */
export function gradingStamp(submissionDir: string, options: string): string {
  if (!kitHash) {
    const h = crypto.createHash("sha256");
    for (const f of kitFiles()) h.update(path.relative(ROOT, f)).update("\0").update(fs.readFileSync(f)).update("\0");
    kitHash = h.digest("hex");
  }
  const h = crypto.createHash("sha256").update(kitHash).update(options);
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".ts")) h.update(path.relative(submissionDir, p)).update("\0").update(fs.readFileSync(p)).update("\0");
    }
  };
  if (fs.statSync(submissionDir).isDirectory()) walk(submissionDir);
  else h.update(fs.readFileSync(submissionDir));
  return h.digest("hex");
}

/** A student's earlier results, when their stamp matches. */
export function upToDate(outDir: string, name: string, stamp: string): GradeReport | undefined {
  const dir = path.join(outDir, name);
  try {
    if (fs.readFileSync(path.join(dir, "stamp"), "utf8").trim() !== stamp) return undefined;
    return JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8")) as GradeReport;
  } catch {
    return undefined;
  }
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** A student's Gradescope results.json: the report's tests and the seconds their grading took. The one builder of it (--json, --out, the class file). */
export function gradescopeResults(report: GradeReport, executionSeconds: number, hiddenVisibility?: Visibility): Record<string, unknown> {
  return { ...toGradescope(report, { hiddenVisibility }), execution_time: Math.round(executionSeconds) };
}

/** One student's files: results.json (Gradescope), feedback.txt, report.json (for re-runs), stamp. */
export function writeStudent(outDir: string, entry: BatchEntry, stamp: string, executionSeconds: number, hiddenVisibility?: Visibility): void {
  const dir = path.join(outDir, entry.name);
  writeAtomic(path.join(dir, "results.json"), `${JSON.stringify(gradescopeResults(entry.report, executionSeconds, hiddenVisibility), null, 2)}\n`);
  writeAtomic(path.join(dir, "feedback.txt"), formatText(entry.report));
  writeAtomic(path.join(dir, "report.json"), `${JSON.stringify(entry.report)}\n`);
  writeAtomic(path.join(dir, "stamp"), `${stamp}\n`);
}

export interface Summary {
  students: number;
  max: number;
  mean: number;
  median: number;
  /** Students per tenth of the maximum (0–9 %, 10–19 %, …, 100 %). */
  histogram: number[];
  perExercise: { id: string; fn: string; max: number; mean: number; full: number }[];
  flagged: { name: string; flags: string[] }[];
  /** Submissions whose files were not where expected, duplicated, rejected or absent: worth a look before marks go out. */
  files: { name: string; notes: string[] }[];
}

export function summarize(entries: readonly BatchEntry[], exercises: readonly ExerciseInfo[]): Summary {
  const scores = entries.map((e) => e.report.score).sort((a, b) => a - b);
  const max = entries[0]?.report.max ?? 0;
  const histogram = new Array(11).fill(0);
  for (const s of scores) histogram[max > 0 ? Math.min(10, Math.floor((10 * s) / max)) : 0]++;
  const mid = scores.length / 2;
  const median = scores.length === 0 ? 0 : scores.length % 2 === 1 ? scores[Math.floor(mid)] : (scores[mid - 1] + scores[mid]) / 2;
  const perExercise = exercises.map((ex) => {
    const got = entries.map((e) => e.report.exercises.find((x) => x.info.id === ex.id));
    const exMax = got.find((g) => g)?.max ?? 0;
    return {
      id: ex.id,
      fn: ex.fn,
      max: exMax,
      mean: got.length === 0 ? 0 : got.reduce((s, g) => s + (g?.score ?? 0), 0) / got.length,
      full: got.filter((g) => g && g.score === g.max).length,
    };
  });
  return {
    students: entries.length,
    max,
    mean: scores.length === 0 ? 0 : scores.reduce((a, b) => a + b, 0) / scores.length,
    median,
    histogram,
    perExercise,
    flagged: entries.filter((e) => e.report.flags.length > 0).map((e) => ({ name: e.name, flags: e.report.flags })),
    files: entries.filter((e) => (e.report.fileNotes ?? []).length > 0).map((e) => ({ name: e.name, notes: e.report.fileNotes ?? [] })),
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

export function summaryText(s: Summary): string {
  const lines = [`Attention Lab grader: ${s.students} submission(s), mean ${round(s.mean)}/${s.max}, median ${round(s.median)}/${s.max}`, "", "Scores (share of the maximum):"];
  const widest = Math.max(1, ...s.histogram);
  s.histogram.forEach((n, i) => {
    const label = i === 10 ? "   100%" : `${String(i * 10).padStart(3)}-${String(i * 10 + 9).padStart(2)}%`;
    lines.push(`  ${label} ${"#".repeat(Math.round((30 * n) / widest)).padEnd(30)} ${n}`);
  });
  lines.push("", "Per exercise (mean, students with full marks):");
  for (const e of s.perExercise) lines.push(`  ${e.id.padEnd(4)} ${e.fn.padEnd(30)} ${`${round(e.mean)}/${e.max}`.padStart(10)}  ${e.full}/${s.students}`);
  lines.push("", s.flagged.length === 0 ? "Flagged: none" : `Flagged (${s.flagged.length}): look at these by hand`);
  for (const f of s.flagged) for (const t of f.flags) lines.push(`  ${f.name}: ${t}`);
  lines.push("", s.files.length === 0 ? "Files: every submission's exercise files were where expected" : `Files (${s.files.length}): check these submissions hold what the student meant to submit`);
  for (const f of s.files) for (const t of f.notes) lines.push(`  ${f.name}: ${t}`);
  return `${lines.join("\n")}\n`;
}

const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function summaryHtml(s: Summary): string {
  const widest = Math.max(1, ...s.histogram);
  const bars = s.histogram
    .map((n, i) => `<tr><td>${i === 10 ? "100%" : `${i * 10}–${i * 10 + 9}%`}</td><td><div style="background:#4a7;height:1em;width:${Math.round((300 * n) / widest)}px"></div></td><td>${n}</td></tr>`)
    .join("\n");
  const ex = s.perExercise.map((e) => `<tr><td>${esc(e.id)}</td><td>${esc(e.fn)}</td><td>${round(e.mean)}/${e.max}</td><td>${e.full}/${s.students}</td></tr>`).join("\n");
  const flagged = s.flagged.flatMap((f) => f.flags.map((t) => `<li><b>${esc(f.name)}</b>: ${esc(t)}</li>`)).join("\n");
  const files = s.files.flatMap((f) => f.notes.map((t) => `<li><b>${esc(f.name)}</b>: ${esc(t)}</li>`)).join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Attention Lab grades</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 8px}table{border-collapse:collapse}</style></head><body>
<h1>Attention Lab: ${s.students} submission(s)</h1>
<p>Mean ${round(s.mean)}/${s.max}, median ${round(s.median)}/${s.max}.</p>
<h2>Scores</h2><table>${bars}</table>
<h2>Per exercise</h2><table><tr><th>Exercise</th><th>Function</th><th>Mean</th><th>Full marks</th></tr>${ex}</table>
<h2>Flagged</h2>${flagged ? `<ul>${flagged}</ul>` : "<p>None.</p>"}
<h2>Files</h2>${files ? `<p>Check these submissions hold what the student meant to submit:</p><ul>${files}</ul>` : "<p>Every submission's exercise files were where expected.</p>"}
</body></html>
`;
}

/** gradebook.csv and the summary, from every student graded so far (sorted by id: the order of grading never shows). */
export function writeClassFiles(outDir: string, entries: readonly BatchEntry[], exercises: readonly ExerciseInfo[]): void {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  writeAtomic(path.join(outDir, "gradebook.csv"), toCsv(sorted, exercises));
  const s = summarize(sorted, exercises);
  writeAtomic(path.join(outDir, "summary.txt"), summaryText(s));
  writeAtomic(path.join(outDir, "summary.html"), summaryHtml(s));
}

/** A one-line progress bar on a terminal (plain lines otherwise). */
export function progress(done: number, total: number, flagged: number, last: string): string {
  const width = 24;
  const filled = total === 0 ? width : Math.round((width * done) / total);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} graded${flagged > 0 ? `, ${flagged} flagged` : ""} (last: ${last})`;
}
