/**
 * lib/ (what students edit) and solutions/ (the reference) must not drift apart: same exported
 * names, same signatures, every exercise in the table present in both.
 */
import * as path from "path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { EXERCISES as GRADED, UPCOMING_EXERCISES } from "../../lib/support/exercises";

// Exercises not graded yet must not drift either.
const EXERCISES = [...GRADED, ...UPCOMING_EXERCISES];
const EXERCISE_MODULES = [...new Set(EXERCISES.map((e) => e.module))];

const ROOT = path.resolve(__dirname, "..", "..");

/** name → printed type of every export of `file`, as the type checker sees it. */
function exportedTypes(program: ts.Program, file: string): Map<string, string> {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`not in program: ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const out = new Map<string, string>();
  for (const sym of checker.getExportsOfModule(moduleSymbol!)) {
    const decl = sym.declarations?.[0];
    if (!decl) continue;
    const text = ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)
      ? decl.getText().replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ")
      : checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, decl), undefined, ts.TypeFormatFlags.NoTruncation);
    out.set(sym.getName(), text);
  }
  return out;
}

describe("lib/ and solutions/ agree", () => {
  const files = EXERCISE_MODULES.flatMap((m) => [path.join(ROOT, "lib", `${m}.ts`), path.join(ROOT, "solutions", `${m}.ts`)]);
  const program = ts.createProgram(files, { strict: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true });

  for (const mod of EXERCISE_MODULES) {
    it(`${mod}.ts: same exports with the same types`, () => {
      const lib = exportedTypes(program, path.join(ROOT, "lib", `${mod}.ts`));
      const sol = exportedTypes(program, path.join(ROOT, "solutions", `${mod}.ts`));
      expect([...lib.keys()].sort()).toEqual([...sol.keys()].sort());
      for (const [name, type] of sol) expect(lib.get(name), `${mod}.${name}`).toBe(type);
    });
  }

  it("every exercise in the table is a function exported by both", () => {
    for (const ex of EXERCISES) {
      for (const dir of ["lib", "solutions"]) {
        const types = exportedTypes(program, path.join(ROOT, dir, `${ex.module}.ts`));
        expect(types.get(ex.fn), `${dir}/${ex.module}.ts exports ${ex.fn}`).toMatch(/=>/);
      }
    }
  });

  it("the exercise table is consistent", () => {
    const ids = EXERCISES.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const ex of EXERCISES) {
      expect(ex.notebook.startsWith(`notebooks/${ex.id.split(".")[0].padStart(2, "0")}-`), ex.id).toBe(true);
      expect(ex.points).toBeGreaterThan(0);
    }
  });
});
