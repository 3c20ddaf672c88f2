/**
 * Staging a submission for grading, in a private folder inside the project:
 *
 *   out/grading/<run>/lib/<module>.js       the submission's exercise modules, compiled to CommonJS,
 *                                           with the swap prologue of cause finding (swap.ts)
 *   out/grading/<run>/lib/support/*.js      the KIT's lib/support, compiled (never the submission's)
 *   out/grading/<run>/src/<module>.ts       the submission's files as given, for the type check
 *   out/grading/<run>/results/              the grading workers' JSON lines
 *
 * Only the modules listed in EXERCISES are taken from the submission, so it cannot replace the
 * support code; living under the project root lets `@tensorflow/tfjs` resolve from node_modules
 * even for a submission folder elsewhere. Compiled output is cached by content
 * (out/grading/.cache/), so staging an unchanged file again costs a file read.
 */
import * as fs from "fs";
import * as path from "path";
import { EXERCISE_MODULES, EXERCISES } from "../lib/support/exercises";
import { solutionImports } from "./module-hooks";
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
 * Where a submission folder keeps its modules: the folder itself, or its lib/ subfolder when
 * the folder is a whole copy of the kit.
 */
export function submissionSourceDir(dir: string): string {
  const has = (d: string) => EXERCISE_MODULES.some((m) => fs.existsSync(path.join(d, `${m}.ts`)));
  if (!has(dir) && has(path.join(dir, "lib"))) return path.join(dir, "lib");
  return dir;
}

/** A submission file that is a symbolic link, or whose real path is the kit's reference (a linked folder). */
function isLinkOrReference(file: string): boolean {
  try {
    if (fs.lstatSync(file).isSymbolicLink()) return true;
    return isInside(fs.realpathSync(file), fs.realpathSync(SOLUTIONS_DIR));
  } catch {
    return false; // does not exist: reported as missing
  }
}

function functionsOf(module: string): string[] {
  return EXERCISES.filter((e) => e.module === module).map((e) => e.fn);
}

/**
 * Stages `impl`: "solutions" (the reference), "lib" (the kit's lib/) or a submission folder.
 * Never throws for a broken submission: each module gets a status the report turns into feedback.
 */
export function stageImpl(impl: string, runDir: string): StagedRun {
  const reference = impl === "solutions";
  const sourceDir = reference ? SOLUTIONS_DIR : impl === "lib" ? LIB_DIR : submissionSourceDir(path.resolve(impl));
  const implDir = path.join(runDir, "lib");
  const srcDir = path.join(runDir, "src");
  const resultsDir = path.join(runDir, "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.mkdirSync(srcDir, { recursive: true });
  compileTree(path.join(LIB_DIR, "support"), path.join(implDir, "support"));
  if (!fs.existsSync(path.join(srcDir, "support"))) fs.symlinkSync(path.join(LIB_DIR, "support"), path.join(srcDir, "support"), "dir");
  const modules: ModuleState[] = EXERCISE_MODULES.map((module): ModuleState => {
    const src = path.join(sourceDir, `${module}.ts`);
    if (!reference && isLinkOrReference(src)) {
      return { module, status: "forbidden", feedback: `not graded: lib/${module}.ts is a symbolic link (or lies inside the kit's solutions/); submit the file itself` };
    }
    if (!fs.existsSync(src)) {
      return { module, status: "missing", feedback: `missing file: the submission has no ${module}.ts (lib/${module}.ts, with ${functionsOf(module).join(", ")})` };
    }
    if (!reference) {
      const bad = solutionImports(src);
      if (bad.length > 0) {
        return {
          module,
          status: "forbidden",
          feedback: `not graded: lib/${module}.ts imports ${bad.map((b) => `"${b}"`).join(", ")}; a submission may not import from solutions/`,
        };
      }
    }
    // The reference imports "../lib/support/…": from <run>/lib/ that lands on the staged support too.
    const text = fs.readFileSync(src, "utf8");
    const compiled = compileSubmissionModule(text, `${module}.ts`, functionsOf(module));
    if ("error" in compiled) return { module, status: "syntax-error", feedback: `could not compile lib/${module}.ts: ${compiled.error}` };
    fs.writeFileSync(path.join(implDir, `${module}.js`), compiled.js);
    fs.writeFileSync(path.join(srcDir, `${module}.ts`), reference ? text.split("../lib/support/").join("./support/") : text);
    return { module, status: "ok" };
  });
  return { runDir, implDir, srcDir, guardDir: reference ? undefined : implDir, resultsDir, modules };
}
