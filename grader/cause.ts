/**
 * Cause finding across exercises: when a check of an exercise that builds on others (2.3 uses
 * your 1.2, 2.1 and 2.2; 3.3 and 3.4 use your 2.3, 3.1 and 3.2; the `uses` column of
 * lib/support/exercises.ts) fails, the check is re-run with the student's building blocks swapped
 * for the reference (swap.ts), one at a time, to find which one the difference comes from.
 *
 * Marks (README, "No double jeopardy"): when the check passes with some of the student's
 * building blocks replaced, and each of those blocks fails a check of the same kind in its own
 * exercise (so it already loses marks there), this check is credited, with a note saying which
 * block to fix first. When a blamed block passes its own tests (its bug shows only here), this
 * check keeps the loss, with feedback naming the block.
 */
import { closureOf, findExercise, type ExerciseInfo } from "../lib/support/exercises";
import type { Check, CheckCategory, CheckOutcome } from "./types";
import { withSwaps } from "./swap";

type AnyFn = (...args: unknown[]) => unknown;

/** What cause finding needs from the grading run: the student's loaded modules and the references. */
export interface CauseContext {
  /** Exports of the student's module (e.g. "attention") as loaded in this process, or undefined. */
  student(module: string): Readonly<Record<string, unknown>> | undefined;
  reference(module: string): Readonly<Record<string, unknown>>;
  /** The graded checks of an exercise (its own tests, for "does the block lose marks itself?"). */
  checks(id: string): readonly Check[];
  /** Memo for blame(): exercise and category → whether the block fails its own checks. */
  readonly blameMemo: Map<string, boolean>;
}

/** Re-runs the failing check (without diagnosis) with the given exercises swapped; resolves to its outcome. */
export type Rerun = (swapped: readonly string[]) => Promise<CheckOutcome>;

/** Runs one check of another exercise on the student's module (quick mode); resolves to whether it passed. */
export type RunOther = (check: Check, impl: unknown, ref: unknown) => Promise<boolean>;

/** The reference functions for `ids`, by function name, for withSwaps. */
export function referenceFns(cc: CauseContext, ids: readonly string[]): Record<string, AnyFn> {
  const out: Record<string, AnyFn> = {};
  for (const id of ids) {
    const ex = findExercise(id);
    out[ex.fn] = cc.reference(ex.module)[ex.fn] as AnyFn;
  }
  return out;
}

function label(ids: readonly string[]): string {
  const parts = ids.map((id) => `${id} ${findExercise(id).fn}`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

function idList(ids: readonly string[]): string {
  return ids.length === 1 ? ids[0] : `${ids.slice(0, -1).join(", ")} and ${ids[ids.length - 1]}`;
}

/** Whether exercise `id`'s own code (with its own building blocks swapped for the reference) fails one of its checks of `category`. */
async function blame(cc: CauseContext, id: string, category: CheckCategory, runOther: RunOther): Promise<boolean> {
  const key = `${id}\u0000${category}`;
  const known = cc.blameMemo.get(key);
  if (known !== undefined) return known;
  const ex = findExercise(id);
  const impl = cc.student(ex.module);
  let fails = false;
  if (impl) {
    const below = closureOf(id);
    fails = await withSwaps(referenceFns(cc, below), async () => {
      for (const c of cc.checks(id).filter((c) => c.category === category)) {
        if (!(await runOther(c, impl, cc.reference(ex.module)))) return true;
      }
      return false;
    });
  }
  cc.blameMemo.set(key, fails);
  return fails;
}

/** Whether the student's module defines exercise `id`'s function, so swapping it can change anything. */
function swappable(cc: CauseContext, id: string): boolean {
  const ex = findExercise(id);
  return typeof cc.student(ex.module)?.[ex.fn] === "function";
}

/**
 * The outcome of a failed check of `ex` once its cause is known: credited (passed, with a note),
 * re-worded (failed, naming the building block), or the original outcome when the exercise's own
 * code is what differs. `ownRun` re-runs the check in full (with diagnosis) under the given swaps.
 */
export async function findCause(
  ex: ExerciseInfo,
  check: Check,
  failed: CheckOutcome,
  cc: CauseContext,
  rerun: Rerun,
  runOther: RunOther,
  ownRun: (swapped: readonly string[]) => Promise<CheckOutcome>,
): Promise<CheckOutcome> {
  const blocks = closureOf(ex.id).filter((id) => swappable(cc, id));
  if (blocks.length === 0) return failed;
  const fn = ex.fn;
  const fixing: string[] = [];
  // Blocks whose reference changes what this test measures (a bug that does not reach this test is not its cause).
  const changing: string[] = [];
  const base = (await rerun([])).feedback;
  for (const id of blocks) {
    const o = await rerun([id]);
    if (o.passed) fixing.push(id);
    if (o.passed || o.feedback !== base) changing.push(id);
  }
  // The most specific: swapping 2.3 also swaps the 1.2 it calls, so if 1.2 alone fixes it, 1.2 is the cause.
  let causes = fixing.filter((id) => !fixing.some((other) => other !== id && closureOf(id).includes(other)));
  if (causes.length === 0 && (await rerun(blocks)).passed) {
    let needed = [...blocks];
    for (const id of [...blocks].reverse()) {
      const without = needed.filter((x) => x !== id);
      if (without.length > 0 && (await rerun(without)).passed) needed = without;
    }
    causes = needed;
  }
  if (causes.length > 0) {
    const wrongOwn: string[] = [];
    for (const id of causes) if (await blame(cc, id, check.category, runOther)) wrongOwn.push(id);
    if (wrongOwn.length === causes.length) {
      return {
        passed: true,
        note: `your ${fn} is right here; the difference comes from your ${label(causes)} — fix ${idList(causes)} first (credited here: ${idList(causes)} ${causes.length === 1 ? "loses its" : "lose their"} own marks)`,
      };
    }
    const innocent = causes.filter((id) => !wrongOwn.includes(id));
    const problem =
      `this test passes with the reference ${label(causes)} in place of yours: your ${label(innocent)} makes it fail, ` +
      `although it passes its own tests — fix ${idList(causes)} first`;
    return { ...failed, problem, detail: failed.feedback, feedback: `${problem} (${failed.feedback})` };
  }
  // The exercise's own code differs. Judge it with the building blocks that fail their own tests swapped out, and say so
  // (not for bad-input tests: there the exercise's own checks are missing, whatever its building blocks do).
  if (check.category === "errors") return failed;
  const wrong: string[] = [];
  for (const id of blocks.filter((b) => changing.includes(b))) {
    if (closureOf(id).some((below) => wrong.includes(below))) continue;
    if (await blame(cc, id, check.category, runOther)) wrong.push(id);
  }
  if (wrong.length === 0) return failed;
  const own = await ownRun(wrong);
  if (own.passed) return failed; // cannot happen when no set of swaps fixed the check; keep what was measured
  const also = `; besides, your ${label(wrong)} ${wrong.length === 1 ? "fails its" : "fail their"} own tests — fix ${idList(wrong)} first`;
  const problem = `${own.problem ?? own.feedback ?? "failed"}${also}`;
  const detail = own.detail ? `${own.detail}; judged with the reference ${label(wrong)}` : `judged with the reference ${label(wrong)}`;
  return { ...own, problem, detail, feedback: `${problem} (${detail})` };
}
