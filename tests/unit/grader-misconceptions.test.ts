/**
 * Self-tests of the grader's feedback, in process: every misconception variant loses marks and
 * is named in the feedback; cause finding blames (and credits) across exercises; a leaky, a
 * NaN-returning and a stub implementation fail where they should; feedback is the same on every run.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { EXERCISES, todo, type ExerciseInfo } from "../../lib/support/exercises";
import * as attention from "../../solutions/attention";
import * as multihead from "../../solutions/multihead";
import { checksFor } from "../grading/checks";
import { MISCONCEPTIONS } from "../grading/misconceptions";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stageInProcess } from "../../grader/in-process";
import { SOLUTIONS_DIR } from "../../grader/paths";
import { exerciseRun, runCheck } from "../../grader/run-check";
import type { CheckOutcome } from "../../grader/types";
import { mhaWith } from "../grading/misconceptions/multihead";
import { referenceModules, type ReferenceModules } from "../reference-modules";

let REFERENCE: ReferenceModules;

function exercise(id: string): ExerciseInfo {
  return EXERCISES.find((e) => e.id === id) as ExerciseInfo;
}

/** Grades the module `ref` with `fn` replaced, on every check of the exercise. */
/**
 * The watchdog's limit per test: generous, because this suite measures feedback, not speed. At
 * the grader's 10 s an 8.1 variant timed out on a loaded machine, and the kernel the watchdog cut
 * short left a tensor behind.
 */
const TEST_TIMEOUT_MS = 60_000;

async function gradeWith(ex: ExerciseInfo, fn: unknown) {
  const ref = REFERENCE[ex.module];
  const impl = { ...ref, [ex.fn]: fn };
  const run = exerciseRun(ex.id);
  const out: { name: string; points: number; outcome: CheckOutcome }[] = [];
  for (const check of checksFor(ex.id)) {
    out.push({ name: check.name, points: check.points, outcome: await runCheck(check, impl, ref, { timeoutMs: TEST_TIMEOUT_MS, run }) });
  }
  return {
    score: out.reduce((s, r) => s + (r.outcome.passed ? r.points : 0), 0),
    failed: out.filter((r) => !r.outcome.passed),
    all: out,
  };
}

beforeAll(async () => {
  REFERENCE = await referenceModules();
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
    // A variant differs from the reference in one detail: none hangs (a watchdog stop would also cut a kernel short).
    expect(failed.filter((f) => f.outcome.kind === "timeout").map((f) => f.name)).toEqual([]);
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

describe("multi-head attention and layers", () => {
  const maskNoHeadAxis = MISCONCEPTIONS["2.3"].find((m) => m.id === "mask-no-head-axis");

  it("recognises a padding mask used without its head axis both by a mis-broadcast output and by the error it raises", async () => {
    // The student's own 1.2 rejects the [3,1,6] mask against [3,2,5,6] scores in its own words:
    // not the variant's message, but the same two shapes.
    const viaOwnAttention = (p: multihead.MultiHeadParams, xq: tf.Tensor, xkv: tf.Tensor, mask?: tf.Tensor) =>
      tf.tidy(() => {
        const h = p.numHeads;
        const proj = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => multihead.splitHeads(b ? tf.add(tf.matMul(x, w), b) : tf.matMul(x, w), h);
        const r = attention.scaledDotProductAttention(proj(xq, p.wq, p.bq), proj(xkv, p.wk, p.bk), proj(xkv, p.wv, p.bv), mask);
        const merged = multihead.mergeHeads(r.output);
        return { output: p.bo ? tf.add(tf.matMul(merged, p.wo), p.bo) : tf.matMul(merged, p.wo), weights: r.weights };
      });
    const { all } = await gradeWith(exercise("2.3"), viaOwnAttention);
    const byName = (prefix: string) => all.find((r) => r.name.startsWith(prefix)) as (typeof all)[number];
    const looksLike = maskNoHeadAxis?.looksLike as string;
    // B = h = 2: the mask broadcasts against the wrong axes; the output is the variant's.
    expect(byName("values, padding mask [2,1,6]").outcome.feedback).toContain(`your multiHeadAttention behaves exactly like ${looksLike}`);
    // B = 3, h = 2: it cannot broadcast; scaledDotProductAttention's own error names both shapes.
    const thrown = byName("values, padding mask [3,1,6]").outcome.feedback as string;
    expect(thrown).toContain(`your multiHeadAttention behaves exactly like ${looksLike}`);
    expect(thrown).toContain("it threw the same error: ");
    expect(thrown).toMatch(/scaledDotProductAttention: mask \[3,1,6\]/);
    expect(byName("values, causal mask").outcome.passed).toBe(true); // a rank-2 mask needs no head axis
  });

  it("finds the cause in a building block, credits the layers that are right, and blames a layer's own mistake", async () => {
    // A whole submission: the reference with multiHeadAttention's output projection left out.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grader-cause-"));
    for (const m of ["tensors", "attention", "multihead", "blocks"]) {
      let text = fs.readFileSync(path.join(SOLUTIONS_DIR, `${m}.ts`), "utf8").split("../lib/support/").join("./support/");
      if (m === "multihead") text = text.replace("return { output: linear(mergeHeads(output), params.wo, params.bo), weights };", "return { output: mergeHeads(output), weights };");
      if (m === "blocks") text = text.replace("const a = tf.add(x, attn.output);", "const a = attn.output;"); // encoderLayer's own mistake
      fs.writeFileSync(path.join(dir, `${m}.ts`), text);
    }
    const sub = stageInProcess(dir, REFERENCE);
    try {
      const byName = async (id: string) => Object.fromEntries((await sub.grade(id, { timeoutMs: TEST_TIMEOUT_MS })).map((r) => [r.check.name, r.outcome]));
      const mha = await byName("2.3");
      expect(Object.values(mha).some((o) => !o.passed)).toBe(true); // 2.3 loses its own marks
      // decoderLayer is right: every test is credited, with a note naming 2.3.
      const dec = await byName("3.4");
      const credited = Object.values(dec).filter((o) => o.note);
      expect(credited.length).toBeGreaterThan(3);
      for (const o of Object.values(dec)) expect(o.passed, o.feedback).toBe(true);
      for (const o of credited) expect(o.note).toBe("your decoderLayer is right here; the difference comes from your 2.3 multiHeadAttention — fix 2.3 first (credited here: 2.3 loses its own marks)");
      // encoderLayer has its own mistake too: it loses marks, named with the reference 2.3 in place, and 2.3 is named as well.
      const encValues = Object.entries(await byName("3.3")).filter(([name]) => name.startsWith("values"));
      for (const [name, o] of encValues) {
        expect(o.passed, name).toBe(false);
        expect(o.feedback, name).toContain("an encoder layer without the residual around self-attention");
        expect(o.feedback, name).toContain("besides, your 2.3 multiHeadAttention fails its own tests — fix 2.3 first");
      }
    } finally {
      sub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
    expect(failed.map((f) => f.name)).toEqual([checksFor("1.1").find((c) => c.contract === "leaks")?.name]);
    expect(failed[0].outcome.feedback).toBe(
      "softmax leaves tensors behind on every call: wrap the computation in tf.tidy(() => …) so intermediate tensors are freed (1 tensor(s) per call with x [4,7], default axis)",
    );
  });

  it("a NaN-returning implementation fails every value, property and format check", async () => {
    const nan = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor) =>
      tf.tidy(() => {
        const r = attention.scaledDotProductAttention(q, k, v, mask);
        return { output: tf.mul(r.output, NaN), weights: tf.mul(r.weights, NaN) };
      });
    const { failed, all } = await gradeWith(exercise("1.2"), nan);
    const judged = all.filter((r) => /^(values|fully masked|weights|output|trainable)/.test(r.name));
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

describe("2.3 gradient check", () => {
  it("a multiHeadAttention tfjs cannot differentiate loses the check, with the 2-D product hint; the reference passes", async () => {
    const check = checksFor("2.3").find((c) => c.name.startsWith("trainable"));
    expect(check).toBeDefined();
    const ok = await runCheck(check!, multihead, multihead, { timeoutMs: TEST_TIMEOUT_MS });
    expect(ok.passed).toBe(true);
    const bad = await runCheck(check!, { ...multihead, multiHeadAttention: mhaWith({ broadcastMatMul: true }) }, multihead, { timeoutMs: TEST_TIMEOUT_MS });
    expect(bad.passed).toBe(false);
    expect(bad.feedback).toMatch(/tf\.grads through your multiHeadAttention failed.*project with 2-D products/);
    const wrong = await runCheck(check!, { ...multihead, multiHeadAttention: mhaWith({ scaleByModelWidth: true }) }, multihead, { timeoutMs: TEST_TIMEOUT_MS });
    expect(wrong.feedback).toMatch(/^gradient \[wq, wk, wv, wo\]\[0\] differs from the reference \(max abs difference/);
  });
});
