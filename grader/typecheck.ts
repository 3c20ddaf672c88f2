/**
 * The type check of a submission's exercise files, with the kit's own tsconfig.json: the same
 * errors that make the notebook refuse a file (tslab compiles every cell with types) are reported
 * in the grader's feedback as a note. Marks are not changed by it (README, "Type errors").
 *
 * It takes a few seconds (the tfjs type declarations are large), so the CLI runs it in a worker
 * thread while the grading workers run, and caches the result by the contents of the files
 * involved (out/grading/.cache/typecheck/). The thread lives as long as the CLI and keeps the
 * files it parsed, so in a batch every submission after the first skips most of the parsing.
 */
import * as fs from "fs";
import * as path from "path";
import { Worker } from "worker_threads";
import { LIB_DIR, ROOT } from "./paths";
import { cached, typescript } from "./register";

export interface TypeErrors {
  /** Module name → its errors ("line 12: Type 'Tensor<Rank>' is not assignable to type 'Tensor2D'."). */
  byModule: Record<string, string[]>;
}

function supportFingerprint(): string[] {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) parts.push(e.name, fs.readFileSync(p, "utf8"));
    }
  };
  walk(path.join(LIB_DIR, "support"));
  return parts;
}

/** Type-checks `srcDir/<module>.ts` for each module (synchronously); errors of other files are not reported. */
export function typeCheck(srcDir: string, modules: readonly string[], info?: { cached?: boolean }): TypeErrors {
  const files = modules.map((m) => path.join(srcDir, `${m}.ts`)).filter((f) => fs.existsSync(f));
  const config = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
  const parts = ["v1", config, ...supportFingerprint(), ...files.flatMap((f) => [path.basename(f), fs.readFileSync(f, "utf8")])];
  if (info) info.cached = true;
  const json = cached("typecheck", parts, () => {
    if (info) info.cached = false;
    return JSON.stringify(computeTypeErrors(srcDir, files));
  });
  return JSON.parse(json) as TypeErrors;
}

/**
 * Parsed files kept between type checks in one process (a batch grades many submissions): the
 * declarations of TypeScript's libraries, @types/node and tfjs and the kit's support code are
 * about 6 MB of text, parsed once instead of once per submission. A file is reused only while
 * its text is unchanged; the submission's own files are new every time.
 */
const parsedFiles = new Map<string, { text: string; languageVersion: unknown; sf: import("typescript").SourceFile }>();
let lastProgram: import("typescript").Program | undefined;

function cachingHost(options: import("typescript").CompilerOptions): import("typescript").CompilerHost {
  const ts = typescript();
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = host.readFile(fileName);
    if (text === undefined) return getSourceFile(fileName, languageVersion, onError, shouldCreate);
    const hit = parsedFiles.get(fileName);
    const version = JSON.stringify(languageVersion);
    if (hit && hit.text === text && hit.languageVersion === version) return hit.sf;
    const sf = ts.createSourceFile(fileName, text, languageVersion, false);
    // Only files outside the submission are worth keeping.
    if (fileName.includes(`${path.sep}node_modules${path.sep}`) || !fileName.includes(`${path.sep}out${path.sep}grading${path.sep}`)) parsedFiles.set(fileName, { text, languageVersion: version, sf });
    return sf;
  };
  return host;
}

function computeTypeErrors(srcDir: string, files: readonly string[]): TypeErrors {
  const ts = typescript();
  const configFile = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const options = { ...parsed.options, noEmit: true };
  const program = ts.createProgram([...files], options, cachingHost(options), lastProgram);
  lastProgram = program;
  const byModule: Record<string, string[]> = {};
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const module = path.basename(file, ".ts");
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    const msgs = diags
      .filter((d) => d.category === ts.DiagnosticCategory.Error)
      .map((d) => {
        const line = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line + 1 : undefined;
        const text = ts.flattenDiagnosticMessageText(d.messageText, " ").split(srcDir + path.sep).join("lib/");
        return `${line !== undefined ? `line ${line}: ` : ""}${text}`;
      });
    if (msgs.length > 0) byModule[module] = msgs;
  }
  return { byModule };
}

/** How long a type check took (for --profile): wall, the thread's CPU seconds, whether it came from the cache. */
export interface TypeCheckTiming {
  wallMs: number;
  cpuSeconds?: number;
  cached: boolean;
}

type Pending = { resolve: (r: TypeErrors) => void; timing?: (t: TypeCheckTiming) => void };

/**
 * The type-check thread of this process: started on the first request and kept (unreferenced,
 * so it never holds the process open) for the next ones, which reuse its parsed files. One
 * request at a time, in order.
 */
let thread: { w: Worker; pending: Map<number, Pending> } | undefined;
let requestId = 0;

function typeCheckThread(): { w: Worker; pending: Map<number, Pending> } {
  if (thread) return thread;
  const code = `
    const { parentPort } = require("worker_threads");
    require(${JSON.stringify(path.join(__dirname, "register.js"))});
    const { threadCpuSeconds } = require(${JSON.stringify(path.join(__dirname, "profile.ts"))});
    const { typeCheck } = require(${JSON.stringify(path.join(__dirname, "typecheck.ts"))});
    parentPort.on("message", (req) => {
      const t0 = Date.now();
      const c0 = threadCpuSeconds();
      const info = {};
      let errors = { byModule: {} };
      try {
        errors = typeCheck(req.srcDir, req.modules, info);
      } catch {
        // a failed check reports no errors
      }
      const c1 = threadCpuSeconds();
      parentPort.postMessage({ id: req.id, errors, timing: { wallMs: Date.now() - t0, cpuSeconds: c0 === undefined || c1 === undefined ? undefined : c1 - c0, cached: info.cached === true } });
    });
  `;
  const pending = new Map<number, Pending>();
  const w = new Worker(code, { eval: true });
  w.unref();
  const fail = () => {
    if (thread?.w === w) thread = undefined;
    for (const p of pending.values()) p.resolve({ byModule: {} });
    pending.clear();
  };
  w.on("message", (r: { id: number; errors: TypeErrors; timing: TypeCheckTiming }) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    p.timing?.(r.timing);
    p.resolve(r.errors);
  });
  w.once("error", fail);
  w.once("exit", fail);
  thread = { w, pending };
  return thread;
}

/** Stops the type-check thread (the CLI calls it when it is done; a later request starts a new one). */
export function stopTypeCheckThread(): void {
  const t = thread;
  thread = undefined;
  if (t) {
    for (const p of t.pending.values()) p.resolve({ byModule: {} });
    t.pending.clear();
    void t.w.terminate();
  }
}

/** typeCheck in the type-check thread, so the grading workers can run meanwhile. Never rejects: a failed check reports no errors. */
export function typeCheckInThread(srcDir: string, modules: readonly string[], timing?: (t: TypeCheckTiming) => void): Promise<TypeErrors> {
  return new Promise((resolve) => {
    try {
      const t = typeCheckThread();
      const id = ++requestId;
      t.pending.set(id, { resolve, timing });
      t.w.postMessage({ id, srcDir, modules: [...modules] });
    } catch {
      resolve({ byModule: {} });
    }
  });
}
