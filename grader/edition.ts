/**
 * Which edition of the kit this is: the full kit (with solutions/) or the student edition built by
 * `npm run release` (scripts/release.ts), which ships the reference's recorded outputs in
 * reference/fixtures.json.gz instead of its code (see reference.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT, SOLUTIONS_DIR } from "./paths";

/** Where the student edition keeps the recorded outputs and the replay modules (reference/<module>.js). */
export const REFERENCE_DIR = path.join(ROOT, "reference");
export const FIXTURES_FILE = path.join(REFERENCE_DIR, "fixtures.json.gz");

/** True in the student edition: no solutions/, recorded outputs instead. */
export function isStudentEdition(): boolean {
  return !fs.existsSync(SOLUTIONS_DIR) && fs.existsSync(FIXTURES_FILE);
}

/** What the student edition's reports say about it (undefined in the kit). */
export function editionNote(): string | undefined {
  return isStudentEdition()
    ? "student edition: your results are compared with the reference's recorded outputs (reference/fixtures.json.gz); " +
        "finding which of your building blocks causes a failure needs the full kit and is not done here"
    : undefined;
}
