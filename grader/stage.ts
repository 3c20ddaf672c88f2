/**
 * Staging a submission for grading, in a private folder inside the project:
 *
 *   out/grading/<run>/lib/<module>.js       the submission's exercise modules, compiled to CommonJS
 *   out/grading/<run>/lib/support/*.js      the KIT's lib/support, compiled (never the submission's)
 *   out/grading/<run>/results/              the grading child's JSON lines
 *
 * Only the modules listed in EXERCISES are taken from the submission, so it cannot replace the
 * support code; living under the project root lets `@tensorflow/tfjs` resolve from node_modules
 * even for a submission folder elsewhere; compiling here (once, with the TypeScript the CLI
 * already loaded) keeps the grading workers free of a TypeScript compiler.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { EXERCISE_MODULES, EXERCISES } from "../lib/support/exercises";
import { solutionImports } from "./module-hooks";
import { LIB_DIR, SOLUTIONS_DIR, STAGE_ROOT } from "./paths";

export type ModuleState =
  | { module: string; status: "ok" }
  | { module: string; status: "missing" | "forbidden" | "syntax-error"; feedback: string };

export interface StagedRun {
  runDir: string;
  /** Folder holding <module>.js for the worker. */
  implDir: string;
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

/** Compiles one TypeScript file to CommonJS; returns the first syntax error ("line 3: ';' expected"), if any. */
export function transpileFile(src: string, dest: string): string | undefined {
  const text = fs.readFileSync(src, "utf8");
  const out = ts.transpileModule(text, {
    fileName: path.basename(src),
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const d = errors[0];
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : undefined;
    return `${line !== undefined ? `line ${line}: ` : ""}${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, out.outputText);
  return undefined;
}

function transpileTree(srcDir: string, destDir: string): void {
  for (const entry of fs.readdirSync(srcDir, { withFileTypes: true })) {
    const src = path.join(srcDir, entry.name);
    if (entry.isDirectory()) transpileTree(src, path.join(destDir, entry.name));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const problem = transpileFile(src, path.join(destDir, entry.name.replace(/\.ts$/, ".js")));
      if (problem) throw new Error(`stage: the kit's ${src} does not compile: ${problem}`);
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

function functionsOf(module: string): string {
  return EXERCISES.filter((e) => e.module === module).map((e) => e.fn).join(", ");
}

/**
 * Stages `impl`: "solutions" (the reference), "lib" (the kit's lib/) or a submission folder.
 * Never throws for a broken submission: each module gets a status the report turns into feedback.
 */
export function stageImpl(impl: string, runDir: string): StagedRun {
  const reference = impl === "solutions";
  const sourceDir = reference ? SOLUTIONS_DIR : impl === "lib" ? LIB_DIR : submissionSourceDir(path.resolve(impl));
  const implDir = path.join(runDir, "lib");
  const resultsDir = path.join(runDir, "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  transpileTree(path.join(LIB_DIR, "support"), path.join(implDir, "support"));
  const modules: ModuleState[] = EXERCISE_MODULES.map((module): ModuleState => {
    const src = path.join(sourceDir, `${module}.ts`);
    if (!fs.existsSync(src)) {
      return { module, status: "missing", feedback: `missing file: the submission has no ${module}.ts (lib/${module}.ts, with ${functionsOf(module)})` };
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
    // The reference imports "../lib/support/…", which from <run>/lib/ lands on the staged support too.
    const problem = transpileFile(src, path.join(implDir, `${module}.js`));
    if (problem) return { module, status: "syntax-error", feedback: `could not compile lib/${module}.ts: ${problem}` };
    return { module, status: "ok" };
  });
  return { runDir, implDir, guardDir: reference ? undefined : implDir, resultsDir, modules };
}
