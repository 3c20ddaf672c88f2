/**
 * The notebooks' check cells: `check("1.2")` grades exercise 1.2 of the code currently saved in
 * lib/ (or the reference, under LAB_IMPL=solutions) with the same grader as `npm run grade`, and
 * shows the per-test table with feedback.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { displayBundle } from "./display";
import { findExercise } from "./exercises";
import { selectedImpl } from "./impl";
import { inNotebook } from "./plot";

// realpath: in a notebook this file is loaded through the notebooks/lib symlink, so __dirname is
// notebooks/lib/support and two levels up would be notebooks/, not the project root.
const ROOT = path.resolve(fs.realpathSync(__dirname), "..", "..");

export function check(...ids: string[]): void {
  ids.forEach(findExercise); // unknown ids fail here, with the list of known ones
  const cli = path.join(ROOT, "grader", "cli.ts");
  // grader/register.js compiles the grader's TypeScript through a cache: no ts-node start-up.
  const register = path.join(ROOT, "grader", "register.js");
  const run = spawnSync(
    process.execPath,
    ["--require", register, cli, ...ids, "--impl", selectedImpl(), "--format", "markdown"],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" }, maxBuffer: 16 * 1024 * 1024 },
  );
  if (run.status !== 0) {
    throw new Error(`check(${ids.join(", ")}): the grader failed (exit ${run.status}):\n${run.stderr || run.stdout}`);
  }
  // Markdown for notebook UIs, the same text as plain text for viewers that do not render it
  // (e.g. the classic notebook shows no markdown output of an untrusted notebook).
  if (inNotebook()) displayBundle({ "text/markdown": run.stdout, "text/plain": run.stdout });
  else console.log(run.stdout);
}
