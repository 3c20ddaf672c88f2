/**
 * The type check of a submission's exercise files, with the kit's own tsconfig.json: the same
 * errors that make the notebook refuse a file (tslab compiles every cell with types) are reported
 * in the grader's feedback as a note. Marks are not changed by it (README, "Type errors").
 *
 * It takes a few seconds (the tfjs type declarations are large), so the CLI runs it in a worker
 * thread while the grading workers run, and caches the result by the contents of the files
 * involved (out/grading/.cache/typecheck/).
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
export function typeCheck(srcDir: string, modules: readonly string[]): TypeErrors {
  const files = modules.map((m) => path.join(srcDir, `${m}.ts`)).filter((f) => fs.existsSync(f));
  const config = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
  const parts = ["v1", config, ...supportFingerprint(), ...files.flatMap((f) => [path.basename(f), fs.readFileSync(f, "utf8")])];
  const json = cached("typecheck", parts, () => JSON.stringify(computeTypeErrors(srcDir, files)));
  return JSON.parse(json) as TypeErrors;
}

function computeTypeErrors(srcDir: string, files: readonly string[]): TypeErrors {
  const ts = typescript();
  const configFile = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const program = ts.createProgram([...files], { ...parsed.options, noEmit: true });
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

/** typeCheck in a worker thread, so the grading workers can run meanwhile. Never rejects: a failed check reports no errors. */
export function typeCheckInThread(srcDir: string, modules: readonly string[]): Promise<TypeErrors> {
  return new Promise((resolve) => {
    const code = `
      const { parentPort, workerData } = require("worker_threads");
      require(${JSON.stringify(path.join(__dirname, "register.js"))});
      const { typeCheck } = require(${JSON.stringify(path.join(__dirname, "typecheck.ts"))});
      parentPort.postMessage(typeCheck(workerData.srcDir, workerData.modules));
    `;
    let settled = false;
    const done = (r: TypeErrors) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    try {
      const w = new Worker(code, { eval: true, workerData: { srcDir, modules: [...modules] } });
      w.once("message", (r: TypeErrors) => {
        done(r);
        void w.terminate();
      });
      w.once("error", () => done({ byModule: {} }));
      w.once("exit", () => done({ byModule: {} }));
    } catch {
      done({ byModule: {} });
    }
  });
}
