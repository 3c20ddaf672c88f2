/**
 * The grader's type check (grader/typecheck.ts) in its kept thread: a batch's later submissions
 * reuse the parsed declaration files, and must get exactly the errors a fresh check gives.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { EXERCISE_MODULES } from "../../lib/support/exercises";
import { newRunDir, stageImpl } from "../../grader/stage";
import { SOLUTIONS_DIR } from "../../grader/paths";
import { stopTypeCheckThread, typeCheckInThread, type TypeCheckTiming } from "../../grader/typecheck";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-typecheck-"));
const runDirs: string[] = [];
afterAll(() => {
  stopTypeCheckThread();
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const d of runDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A staged copy of the reference, unique (no cached result), with `extra` appended to attention.ts. */
function staged(name: string, extra: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const stamp = `// ${name} ${Date.now()} ${Math.random()}`;
  for (const m of EXERCISE_MODULES) {
    const text = fs.readFileSync(path.join(SOLUTIONS_DIR, `${m}.ts`), "utf8").split("../lib/support/").join("./support/");
    fs.writeFileSync(path.join(dir, `${m}.ts`), `${text}\n${stamp}\n${m === "attention" ? extra : ""}`);
  }
  const runDir = newRunDir();
  runDirs.push(runDir);
  return stageImpl(dir, runDir).srcDir;
}

describe("type check in the kept thread", () => {
  it("reports the same errors for each submission of a batch, fresh files or reused ones", async () => {
    const bad = 'export const wrong: number = "text";';
    const timings: TypeCheckTiming[] = [];
    const first = await typeCheckInThread(staged("clean", ""), EXERCISE_MODULES, (t) => timings.push(t));
    const second = await typeCheckInThread(staged("typed", bad), EXERCISE_MODULES, (t) => timings.push(t));
    const third = await typeCheckInThread(staged("clean-again", ""), EXERCISE_MODULES, (t) => timings.push(t));
    expect(first.byModule).toEqual({});
    expect(Object.keys(second.byModule)).toEqual(["attention"]);
    expect(second.byModule.attention).toHaveLength(1);
    expect(second.byModule.attention[0]).toMatch(/^line \d+: Type 'string' is not assignable to type 'number'\.$/);
    expect(third.byModule).toEqual({});
    expect(timings.map((t) => t.cached)).toEqual([false, false, false]);
    // A new thread (as in a new process) agrees with the kept one.
    stopTypeCheckThread();
    const fresh = await typeCheckInThread(staged("typed-fresh", bad), EXERCISE_MODULES);
    expect(fresh.byModule.attention).toEqual(second.byModule.attention);
  });
});
