/**
 * The reference modules (solutions/) by module name, for the tests that grade in process
 * (grader-checks, grader-fairness, grader-misconceptions). One table, built from EXERCISE_MODULES
 * (lib/support/exercises.ts): a new exercise module needs no edit here.
 *
 * Loaded with import(), so they go through vitest's loader exactly as the static imports they
 * replace did (the same module instances as a test file's own `import * as attention from
 * "../../solutions/attention"`), not through Node's require as the grader's referenceModules()
 * (grader/reference.ts) loads them. import() is asynchronous: call it in a beforeAll.
 */
import { EXERCISES, EXERCISE_MODULES } from "../lib/support/exercises";

export type ReferenceModules = Readonly<Record<string, Record<string, unknown>>>;

let loaded: Promise<ReferenceModules> | undefined;

async function load(): Promise<ReferenceModules> {
  const entries = await Promise.all(
    EXERCISE_MODULES.map(async (m) => {
      let mod: Record<string, unknown>;
      try {
        mod = (await import(`../solutions/${m}`)) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`EXERCISE_MODULES names "${m}", but solutions/${m}.ts could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
      }
      return [m, mod] as const;
    }),
  );
  const table: ReferenceModules = Object.fromEntries(entries);
  for (const ex of EXERCISES) {
    if (typeof table[ex.module][ex.fn] !== "function") throw new Error(`exercise ${ex.id}: solutions/${ex.module}.ts exports no function ${ex.fn}`);
  }
  return table;
}

/** Every exercise module's reference, by module name (loaded once per test file). */
export function referenceModules(): Promise<ReferenceModules> {
  loaded ??= load();
  return loaded;
}
