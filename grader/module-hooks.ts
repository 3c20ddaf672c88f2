/**
 * Node module-loading hooks for grading: the "no solutions/" guard for submissions (a runtime
 * backstop for the static scan, which cannot see computed paths), the static scan itself,
 * TypeScript (register.js) and package resolution for extra-check files kept outside the project.
 *
 * These hooks act on Node's own `require`, which is how workers load submissions (precompiled
 * to CommonJS by stage.ts, so that loading can run under the watchdog) and extra checks.
 */
import * as fs from "fs";
import * as path from "path";
import { isInside, ROOT, SOLUTIONS_DIR } from "./paths";

/** Thrown when a submission resolves a module inside solutions/. */
export class ForbiddenImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenImportError";
  }
}

interface ResolveFilename {
  (request: string, parent: NodeModule | undefined, isMain: boolean, options?: unknown): string;
}

// The real `module` object (not an import-star copy): patching a copy would change nothing.
const ModuleInternals = require("module") as { _resolveFilename: ResolveFilename };
const guardDirs = new Set<string>();
const extraDirs = new Set<string>();
let hooked = false;
let tsRegistered = false;

/** Lets the process require .ts files (compiled without type checking, through register.js's cache). */
export function registerTypeScript(): void {
  if (tsRegistered) return;
  tsRegistered = true;
  (require("./register.js") as { register(): void }).register();
}

function installHook(): void {
  if (hooked) return;
  hooked = true;
  const original = ModuleInternals._resolveFilename;
  ModuleInternals._resolveFilename = function (request, parent, isMain, options) {
    const from = parent?.filename;
    let resolved: string;
    try {
      resolved = original.call(this, request, parent, isMain, options);
    } catch (e) {
      // Extra-check files may live outside the project: resolve their packages (and the
      // "attention-lab/..." alias for kit files) from the project root instead.
      if (from && [...extraDirs].some((d) => isInside(from, d)) && !request.startsWith(".")) {
        const target = request.startsWith("attention-lab/") ? path.join(ROOT, request.slice("attention-lab/".length)) : request;
        resolved = original.call(this, target, parent, isMain, { paths: [ROOT] });
      } else {
        throw e;
      }
    }
    if (from && isInside(resolved, SOLUTIONS_DIR) && [...guardDirs].some((d) => isInside(from, d))) {
      // Guarded files are staged lib modules compiled to .js: name them as the student knows them.
      const shown = `lib/${path.basename(from).replace(/\.js$/, ".ts")}`;
      throw new ForbiddenImportError(`${shown} imports "${request}": a submission may not import from solutions/`);
    }
    return resolved;
  };
}

/** From now on, files under `dir` may not resolve anything inside solutions/. */
export function guardAgainstSolutions(dir: string): void {
  installHook();
  guardDirs.add(path.resolve(dir));
}

/** Lets files under `dir` import packages installed in the project. */
export function allowProjectPackages(dir: string): void {
  installHook();
  extraDirs.add(path.resolve(dir));
}

/**
 * Static scan of a submission file: every module specifier (import/export from, import(),
 * require()) that mentions "solutions". Uses TypeScript's own pre-processor so specifiers in
 * comments and ordinary strings do not count; template literals in require()/import() are
 * caught by a pattern.
 */
export function solutionImports(file: string): string[] {
  return solutionImportsIn(fs.readFileSync(file, "utf8"));
}

/** The same, for a file's text. */
export function solutionImportsIn(text: string): string[] {
  const ts = require("typescript") as typeof import("typescript");
  const info = ts.preProcessFile(text, true, true);
  const found = info.importedFiles.map((f) => f.fileName).filter((s) => /solutions/.test(s));
  const templates = text.match(/\b(?:require|import)\s*\(\s*`[^`]*solutions[^`]*`/g) ?? [];
  return [...new Set([...found, ...templates])];
}
