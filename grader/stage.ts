/**
 * Staging a submission for grading, in a private folder inside the project:
 *
 *   out/grading/<run>/lib/<module>.js       the submission's exercise modules, compiled to CommonJS,
 *                                           with the swap prologue of cause finding (swap.ts)
 *   out/grading/<run>/lib/support/*.js      the KIT's lib/support, compiled (never the submission's)
 *   out/grading/<run>/src/<module>.ts       the submission's files as given, for the type check
 *   out/grading/<run>/results/              the grading workers' JSON lines
 *
 * Only the modules listed in EXERCISES are taken from the submission (found by intake.ts, in a
 * folder at any depth or in a zip), so it cannot replace the support code; living under the project root lets `@tensorflow/tfjs` resolve from node_modules
 * even for a submission folder elsewhere. Compiled output is cached by content
 * (out/grading/.cache/), so staging an unchanged file again costs a file read.
 */
import * as fs from "fs";
import * as path from "path";
import { EXERCISE_MODULES } from "../lib/support/exercises";
import { functionsOf, missingFeedback, takeIn, type Intake } from "./intake";
import { solutionImportsIn } from "./module-hooks";
import { isInside, LIB_DIR, SOLUTIONS_DIR, STAGE_ROOT } from "./paths";
import { cached, compileCached, OPTIONS, typescript } from "./register";
import { instrumentSource } from "./swap";

export type ModuleState =
  | { module: string; status: "ok" }
  | { module: string; status: "missing" | "forbidden" | "syntax-error"; feedback: string };

export interface StagedRun {
  runDir: string;
  /** Folder holding <module>.js for the worker. */
  implDir: string;
  /** Folder holding the submission's <module>.ts as given (and a link to the kit's support/), for the type check. */
  srcDir: string;
  /** Folder whose files may not import solutions/ (undefined for the reference). */
  guardDir?: string;
  resultsDir: string;
  modules: ModuleState[];
  /** Where the submission's files were found, duplicates, ignored files (intake.ts): notes for the report. */
  notes: string[];
}

let runCounter = 0;

/** A fresh, unique folder under out/grading/ (several gradings may run at once). */
export function newRunDir(): string {
  const stamp = new Date().toISOString().replace(/[-:.TZ]/g, "").slice(0, 14);
  const dir = path.join(STAGE_ROOT, `${stamp}-${process.pid}-${runCounter++}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A submission file compiled to CommonJS with the swap prologue in its exercise functions, or
 * its first syntax error ("line 3: ';' expected"). Cached by content.
 */
export function compileSubmissionModule(source: string, fileName: string, fns: readonly string[]): { js: string } | { error: string } {
  const text = cached("submission", [fileName, fns.join(","), source], () => {
    const ts = typescript();
    const check = ts.transpileModule(source, { fileName, reportDiagnostics: true, compilerOptions: OPTIONS });
    const errors = (check.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      const d = errors[0];
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : undefined;
      return `E${line !== undefined ? `line ${line}: ` : ""}${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    }
    return `J${ts.transpileModule(instrumentSource(source, fileName, fns), { fileName, compilerOptions: OPTIONS }).outputText}`;
  });
  return text.startsWith("E") ? { error: text.slice(1) } : { js: text.slice(1) };
}

function compileTree(srcDir: string, destDir: string): void {
  for (const entry of fs.readdirSync(srcDir, { withFileTypes: true })) {
    const src = path.join(srcDir, entry.name);
    if (entry.isDirectory()) compileTree(src, path.join(destDir, entry.name));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      fs.mkdirSync(destDir, { recursive: true });
      fs.writeFileSync(path.join(destDir, entry.name.replace(/\.ts$/, ".js")), compileCached(fs.readFileSync(src, "utf8"), src));
    }
  }
}

/**
 * Stages `impl`: "solutions" (the reference), "lib" (the kit's lib/) or a submission folder.
 * Never throws for a broken submission: each module gets a status the report turns into feedback.
 */
export function stageImpl(impl: string, runDir: string): StagedRun {
  const reference = impl === "solutions";
  const builtIn = reference || impl === "lib";
  const implDir = path.join(runDir, "lib");
  const srcDir = path.join(runDir, "src");
  const resultsDir = path.join(runDir, "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.mkdirSync(srcDir, { recursive: true });
  compileTree(path.join(LIB_DIR, "support"), path.join(implDir, "support"));
  if (!fs.existsSync(path.join(srcDir, "support"))) fs.symlinkSync(path.join(LIB_DIR, "support"), path.join(srcDir, "support"), "dir");
  // The kit's own lib/ or solutions/ are read in place; a submission through takeIn (any depth, or a zip).
  const intake: Intake = builtIn ? builtInIntake(reference ? SOLUTIONS_DIR : LIB_DIR) : insideReference(impl) ? referenceIntake() : takeIn(path.resolve(impl));
  const modules: ModuleState[] = EXERCISE_MODULES.map((module): ModuleState => {
    const rejected = intake.rejected.get(module);
    if (rejected) return { module, status: "forbidden", feedback: rejected };
    const found = intake.files.get(module);
    if (!found) return { module, status: "missing", feedback: missingFeedback(module) };
    const text = found.text;
    if (!reference) {
      const bad = solutionImportsIn(text);
      if (bad.length > 0) {
        return {
          module,
          status: "forbidden",
          feedback: `not graded: lib/${module}.ts imports ${bad.map((b) => `"${b}"`).join(", ")}; a submission may not import from solutions/`,
        };
      }
    }
    // The reference imports "../lib/support/…": from <run>/lib/ that lands on the staged support too.
    const compiled = compileSubmissionModule(text, `${module}.ts`, functionsOf(module));
    if ("error" in compiled) return { module, status: "syntax-error", feedback: `could not compile lib/${module}.ts: ${compiled.error}` };
    fs.writeFileSync(path.join(implDir, `${module}.js`), compiled.js);
    fs.writeFileSync(path.join(srcDir, `${module}.ts`), reference ? text.split("../lib/support/").join("./support/") : text);
    return { module, status: "ok" };
  });
  return { runDir, implDir, srcDir, guardDir: reference ? undefined : implDir, resultsDir, modules, notes: intake.notes };
}

/** The kit's lib/ or solutions/: the module files in place, nothing searched. */
function builtInIntake(dir: string): Intake {
  const files = new Map<string, { text: string; from: string }>();
  for (const m of EXERCISE_MODULES) {
    const f = path.join(dir, `${m}.ts`);
    if (fs.existsSync(f)) files.set(m, { text: fs.readFileSync(f, "utf8"), from: `${m}.ts` });
  }
  return { files, rejected: new Map(), notes: [] };
}

/** A submission path that is (or lies inside, or links into) the kit's solutions/. */
function insideReference(impl: string): boolean {
  try {
    return isInside(fs.realpathSync(path.resolve(impl)), fs.realpathSync(SOLUTIONS_DIR));
  } catch {
    return false;
  }
}

function referenceIntake(): Intake {
  const why = "not graded: the submission is the kit's solutions/ folder (or a link into it)";
  return { files: new Map(), rejected: new Map(EXERCISE_MODULES.map((m) => [m, why])), notes: [] };
}
