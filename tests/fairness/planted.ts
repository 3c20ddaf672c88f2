/**
 * The fairness suite's planted submissions: correct-but-different implementations
 * (alternatives/, which must get full marks) and realistic mistakes (mutants/, which must lose
 * marks and get the feedback they record). Each planted file holds one exercise function as a
 * student would write it (plus its helpers), and a header comment with tags:
 *
 *   @planted mutant | alternative
 *   @exercise 1.2                the exercise whose function the file replaces
 *   @bug …  /  @style …          what is planted (one line, for the reports)
 *   @misconception no-scale      (mutants) the named misconception it commits: the feedback must name it
 *   @near no-scale               (alternatives) a misconception it resembles but must not trigger (repeatable)
 *   @feedback …                  (mutants) text the feedback of the exercise must contain (repeatable)
 *   @cause …                     (mutants) text that would name the real cause, when @feedback does not:
 *                                the benchmark counts the mutants whose feedback names it (default: @feedback)
 *   @category fresh              (mutants) the kind of check the bug costs, when it is not "values"
 *   @also 2.3 …                  (mutants) text the feedback or note of a later exercise must contain
 *
 * assembleSubmission() splices the file into a copy of the reference module (its imports of
 * lib/ files become the submission's own ./ imports), so the rest of the submission is correct and
 * the planted function is used by the exercises that build on it, as in a real submission.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { EXERCISE_MODULES, EXERCISES, findExercise } from "../../lib/support/exercises";
import { LIB_DIR, SOLUTIONS_DIR } from "../../grader/paths";

export const FAIRNESS_DIR = __dirname;

export interface Planted {
  file: string;
  /** "1.2-scale-by-dv" */
  id: string;
  kind: "mutant" | "alternative";
  exercise: string;
  /** The @bug or @style line. */
  what: string;
  misconception?: string;
  near: string[];
  feedback: string[];
  /** Text naming the real cause (defaults to feedback); measured by the benchmark, not required by npm test. */
  cause: string[];
  category: string;
  /** Later exercise id → text its feedback or note must contain. */
  also: Record<string, string>;
}

function tags(text: string): Map<string, string[]> {
  const header = text.match(/^\/\*\*([\s\S]*?)\*\//)?.[1] ?? "";
  const out = new Map<string, string[]>();
  for (const line of header.split("\n")) {
    const m = line.match(/^\s*\*\s*@(\w+)\s*(.*?)\s*$/);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

/** Reads and checks one planted file's tags. */
export function readPlanted(file: string): Planted {
  const t = tags(fs.readFileSync(file, "utf8"));
  const one = (k: string) => {
    const v = t.get(k);
    if (!v || v.length !== 1 || v[0] === "") throw new Error(`${path.basename(file)}: needs exactly one @${k}`);
    return v[0];
  };
  const kind = one("planted");
  if (kind !== "mutant" && kind !== "alternative") throw new Error(`${path.basename(file)}: @planted must be mutant or alternative`);
  const exercise = findExercise(one("exercise")).id;
  const what = kind === "mutant" ? one("bug") : one("style");
  const also: Record<string, string> = {};
  for (const a of t.get("also") ?? []) {
    const m = a.match(/^(\d+\.\d+)\s+(.+)$/);
    if (!m) throw new Error(`${path.basename(file)}: @also needs "<exercise id> <text>"`);
    also[findExercise(m[1]).id] = m[2];
  }
  const planted: Planted = {
    file,
    id: path.basename(file, ".ts"),
    kind,
    exercise,
    what,
    misconception: t.get("misconception")?.[0],
    near: t.get("near") ?? [],
    feedback: t.get("feedback") ?? [],
    cause: t.get("cause") ?? t.get("feedback") ?? [],
    category: t.get("category")?.[0] ?? "values",
    also,
  };
  if (kind === "mutant" && planted.feedback.length === 0 && !planted.misconception) {
    throw new Error(`${path.basename(file)}: a mutant records the feedback it must receive (@feedback or @misconception)`);
  }
  return planted;
}

/** Every planted file of `kind` ("mutants" or "alternatives"), sorted by name. */
export function plantedFiles(kind: "mutants" | "alternatives"): Planted[] {
  const dir = path.join(FAIRNESS_DIR, kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => readPlanted(path.join(dir, f)));
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
}

/** The names a top-level statement declares. */
function declaredNames(st: ts.Statement): string[] {
  if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) {
    return st.name ? [st.name.text] : [];
  }
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  return [];
}

interface ImportInfo {
  spec: string;
  typeOnly: boolean;
  namespace?: string;
  named: { name: string; as: string; typeOnly: boolean }[];
  text: string;
}

function importsOf(sf: ts.SourceFile, mapSpec: (s: string) => string | undefined): ImportInfo[] {
  const out: ImportInfo[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const spec = mapSpec(st.moduleSpecifier.text);
    if (spec === undefined) continue;
    const clause = st.importClause;
    const info: ImportInfo = { spec, typeOnly: Boolean(clause?.isTypeOnly), named: [], text: st.getText(sf) };
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) info.namespace = bindings.name.text;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) info.named.push({ name: (el.propertyName ?? el.name).text, as: el.name.text, typeOnly: el.isTypeOnly });
    }
    out.push(info);
  }
  return out;
}

/**
 * The text of lib/<module>.ts for a submission: the reference module with the planted files'
 * top-level declarations spliced in (an exported exercise function replaces the reference's).
 */
export function assembleModule(module: string, planted: readonly Planted[]): string {
  const refFile = path.join(SOLUTIONS_DIR, `${module}.ts`);
  const refText = fs.readFileSync(refFile, "utf8").split("../lib/support/").join("./support/");
  if (planted.length === 0) return refText;
  const ref = parse(refFile, refText);
  const refNames = new Set(ref.statements.flatMap(declaredNames));
  const exerciseFns = new Set(EXERCISES.filter((e) => e.module === module).map((e) => e.fn));
  const replaced = new Set<string>();
  const imports: string[] = [];
  const body: string[] = [];
  const known = new Set(importsOf(ref, (s) => s).flatMap((i) => [...(i.namespace ? [`*${i.namespace}@${i.spec}`] : []), ...i.named.map((n) => `${n.as}@${i.spec}`)]));
  for (const p of planted) {
    const text = fs.readFileSync(p.file, "utf8");
    const sf = parse(p.file, text);
    const mapSpec = (s: string): string | undefined => {
      if (!s.startsWith(".")) return s;
      const abs = path.resolve(path.dirname(p.file), s);
      const rel = path.relative(LIB_DIR, abs).split(path.sep).join("/");
      if (rel.startsWith("..")) throw new Error(`${p.id}: imports ${s}, which is not a lib/ file`);
      if (rel === module) return undefined; // its own module: the names are declared right here
      return `./${rel}`;
    };
    for (const imp of importsOf(sf, mapSpec)) {
      if (imp.namespace) {
        if (!known.has(`*${imp.namespace}@${imp.spec}`)) imports.push(`import ${imp.typeOnly ? "type " : ""}* as ${imp.namespace} from "${imp.spec}";`);
        known.add(`*${imp.namespace}@${imp.spec}`);
      }
      const fresh = imp.named.filter((n) => !known.has(`${n.as}@${imp.spec}`));
      for (const n of fresh) {
        if (refNames.has(n.as)) throw new Error(`${p.id}: imports ${n.as}, which solutions/${module}.ts declares itself; rename the import`);
        known.add(`${n.as}@${imp.spec}`);
      }
      if (fresh.length > 0) {
        const list = fresh.map((n) => `${n.typeOnly ? "type " : ""}${n.name === n.as ? n.name : `${n.name} as ${n.as}`}`).join(", ");
        imports.push(`import ${imp.typeOnly ? "type " : ""}{ ${list} } from "${imp.spec}";`);
      }
    }
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st)) continue;
      for (const name of declaredNames(st)) {
        if (exerciseFns.has(name)) replaced.add(name);
        else if (refNames.has(name)) throw new Error(`${p.id}: declares ${name}, which solutions/${module}.ts declares too; give the helper another name`);
      }
      body.push(st.getFullText(sf));
    }
  }
  const kept: string[] = [];
  for (const st of ref.statements) {
    if (declaredNames(st).some((n) => replaced.has(n))) continue;
    kept.push(st.getFullText(ref));
  }
  const firstNonImport = kept.findIndex((t) => !/^\s*(\/\*[\s\S]*?\*\/\s*)?import\s/.test(t));
  const head = firstNonImport < 0 ? kept : kept.slice(0, firstNonImport);
  const rest = firstNonImport < 0 ? [] : kept.slice(firstNonImport);
  return `${head.join("")}\n${imports.join("\n")}\n${rest.join("")}\n${body.join("")}\n`;
}

/** Writes a whole submission (<module>.ts for every exercise module) with `planted` spliced in; returns `dir`. */
export function assembleSubmission(planted: readonly Planted[], dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const module of EXERCISE_MODULES) {
    fs.writeFileSync(path.join(dir, `${module}.ts`), assembleModule(module, planted.filter((p) => findExercise(p.exercise).module === module)));
  }
  return dir;
}
