/**
 * Fixed locations of the kit, as the grader sees them.
 */
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..");
export const SOLUTIONS_DIR = path.join(ROOT, "solutions");
export const LIB_DIR = path.join(ROOT, "lib");
/** The graded checks and misconceptions, per exercise. */
export const GRADING_DIR = path.join(ROOT, "tests", "grading");
/** Staging area for submissions (out/ is git-ignored). */
export const STAGE_ROOT = path.join(ROOT, "out", "grading");
/** `node --require` this to load the kit's TypeScript (see register.js). */
export const REGISTER = path.join(ROOT, "grader", "register.js");
export const CLI = path.join(ROOT, "grader", "cli.ts");

/** True when `file` is `dir` or inside it. */
export function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
