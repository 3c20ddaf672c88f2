/**
 * Extra checks (`--extra-tests DIR`): instructor-only checks kept outside the student kit.
 *
 * DIR holds `*.checks.ts` files, each exporting `checks` (or a default export): an array of
 * Check objects exactly like the built-in ones (tests/grading/checks/). They may import
 * "@tensorflow/tfjs" and kit files through the alias "attention-lab/<path in the kit>", e.g.
 * `import { valueCheck } from "attention-lab/grader/builders"`, even when DIR is
 * outside the project. Their points come on top of the exercise's points; their names get the
 * prefix "extra: ".
 */
import * as fs from "fs";
import * as path from "path";
import { findExercise } from "../lib/support/exercises";
import { allowProjectPackages, registerTypeScript } from "./module-hooks";
import type { Check } from "./types";

const cache = new Map<string, readonly Check[]>();

/** The extra checks in `dir`, sorted by file name then declaration order. Throws on a malformed file. */
export function loadExtraChecks(dir: string): readonly Check[] {
  const abs = path.resolve(dir);
  const hit = cache.get(abs);
  if (hit) return hit;
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new Error(`--extra-tests: ${dir} is not a folder`);
  registerTypeScript();
  allowProjectPackages(abs);
  const out: Check[] = [];
  for (const file of fs.readdirSync(abs).filter((f) => f.endsWith(".checks.ts")).sort()) {
    const mod = require(path.join(abs, file)) as { checks?: unknown; default?: unknown };
    const list = mod.checks ?? mod.default;
    if (!Array.isArray(list)) throw new Error(`--extra-tests: ${file} must export \`checks\`, an array of checks`);
    for (const c of list as Check[]) {
      if (!c || typeof c.run !== "function" || typeof c.name !== "string" || !(c.points > 0)) {
        throw new Error(`--extra-tests: ${file} has a check without a name, positive points or a run() method`);
      }
      findExercise(c.exercise); // unknown exercise ids fail here, naming the known ones
      const run = c.run.bind(c);
      const check: Check = { exercise: findExercise(c.exercise).id, name: `extra: ${c.name}`, points: c.points, category: c.category ?? "values", sample: c.sample, run };
      // Results are matched to checks by exercise and name, so names must be unique.
      if (out.some((o) => o.exercise === check.exercise && o.name === check.name)) {
        throw new Error(`--extra-tests: two checks of exercise ${check.exercise} are named "${c.name}"`);
      }
      out.push(check);
    }
  }
  cache.set(abs, out);
  return out;
}
