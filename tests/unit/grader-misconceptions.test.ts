/**
 * Self-tests of the grader's feedback, in process: every misconception variant loses marks and
 * is named in the feedback; a leaky, a NaN-returning and a stub implementation fail where they
 * should; feedback is the same on every run.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { EXERCISES, todo, type ExerciseInfo } from "../../lib/support/exercises";
import * as attention from "../../solutions/attention";
import * as tensors from "../../solutions/tensors";
import { checksFor } from "../grading/checks";
import { MISCONCEPTIONS } from "../grading/misconceptions";
import { runCheck } from "../grader/run-check";
import type { CheckOutcome } from "../grader/types";

const REFERENCE: Record<string, object> = { tensors, attention };

function exercise(id: string): ExerciseInfo {
  return EXERCISES.find((e) => e.id === id) as ExerciseInfo;
}

/** Grades the module `ref` with `fn` replaced, on every check of the exercise. */
async function gradeWith(ex: ExerciseInfo, fn: unknown) {
  const ref = REFERENCE[ex.module];
  const impl = { ...ref, [ex.fn]: fn };
  const out: { name: string; points: number; outcome: CheckOutcome }[] = [];
  for (const check of checksFor(ex.id)) {
    out.push({ name: check.name, points: check.points, outcome: await runCheck(check, impl, ref, { timeoutMs: 10_000 }) });
  }
  return {
    score: out.reduce((s, r) => s + (r.outcome.passed ? r.points : 0), 0),
    failed: out.filter((r) => !r.outcome.passed),
    all: out,
  };
}

beforeAll(async () => {
  await setupBackend(undefined, { quiet: true });
});

describe("misconception variants", () => {
  const cases = EXERCISES.flatMap((ex) => MISCONCEPTIONS[ex.id].map((m) => [`${ex.id} ${m.id}`, ex, m] as const));

  it.each(cases)("%s loses marks and the feedback names the mistake", async (_label, ex, m) => {
    const before = tf.memory().numTensors;
    const { score, failed } = await gradeWith(ex, m.fn);
    expect(score).toBeLessThan(ex.points);
    const named = failed.filter((f) => f.outcome.feedback?.includes(m.looksLike));
    expect(named.map((f) => f.name), `no feedback names "${m.looksLike}"; got:\n${failed.map((f) => f.outcome.feedback).join("\n")}`).not.toEqual([]);
    for (const f of named) expect(f.outcome.feedback).toContain(m.fix);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("gives the same marks and feedback on every run", async () => {
    const ex = exercise("1.2");
    const m = MISCONCEPTIONS["1.2"][0];
    const first = await gradeWith(ex, m.fn);
    const second = await gradeWith(ex, m.fn);
    expect(second.all).toEqual(first.all);
  });
});

describe("typical broken implementations", () => {
  it("a leaky softmax (no tf.tidy) loses the leak check only", async () => {
    const leaky = (x: tf.Tensor, axis = -1) => {
      const r = attention.softmax(x, axis); // validation and the right values…
      tf.exp(x); // …plus an intermediate nobody frees
      return r;
    };
    const { failed } = await gradeWith(exercise("1.1"), leaky);
    expect(failed.map((f) => f.name)).toEqual(["no leaked tensors"]);
    expect(failed[0].outcome.feedback).toMatch(/softmax leaves 1 tensor\(s\) behind on every call: wrap the computation in tf.tidy/);
  });

  it("a NaN-returning implementation fails every value, property and format check", async () => {
    const nan = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor) =>
      tf.tidy(() => {
        const r = attention.scaledDotProductAttention(q, k, v, mask);
        return { output: tf.mul(r.output, NaN), weights: tf.mul(r.weights, NaN) };
      });
    const { failed, all } = await gradeWith(exercise("1.2"), nan);
    const judged = all.filter((r) => /^(values|fully masked|weights|output)/.test(r.name));
    expect(judged.length).toBeGreaterThan(8);
    for (const r of judged) {
      expect(r.outcome.passed, r.name).toBe(false);
      expect(r.outcome.feedback, r.name).toMatch(/NaN/);
    }
    expect(failed.length).toBe(judged.length);
  });

  it.each(EXERCISES.map((e) => [e.id, e] as const))("exercise %s: every check fails for the stub, saying which exercise to implement", async (_id, ex) => {
    const { score, all } = await gradeWith(ex, (() => todo(ex.id)) as unknown);
    expect(score).toBe(0);
    for (const r of all) {
      expect(r.outcome.kind, r.name).toBe("not-implemented");
      expect(r.outcome.feedback).toBe(`not implemented yet: Exercise ${ex.id} (${ex.notebook}): implement ${ex.fn} in lib/${ex.module}.ts`);
    }
  });

  it("a function that returns the wrong kind of value gets feedback, not a grader error", async () => {
    const { all } = await gradeWith(exercise("1.2"), () => [1, 2, 3]);
    for (const r of all) {
      expect(r.outcome.passed, r.name).toBe(false);
      expect(r.outcome.kind, `${r.name}: ${r.outcome.feedback}`).toBe("fail");
    }
  });

  it("a missing export is reported as such", async () => {
    const ex = exercise("1.3");
    const [check] = checksFor("1.3");
    const { causalMask: _dropped, ...rest } = attention;
    const outcome = await runCheck(check, rest, attention, { timeoutMs: 1_000 });
    expect(outcome.feedback).toBe(`lib/${ex.module}.ts does not export a function named causalMask (keep the name and the export)`);
  });
});
