/**
 * Reusing one sandbox process for the next exercise of the same submission (grader/worker.ts,
 * Sandbox.nextExercise): allowed only when the process is as fresh as a new one. Each case runs
 * a call of a planted lib/tensors.ts in a real sandbox, then asks for reuse: clean code gets the
 * same process with its modules loaded afresh; code that patched a built-in, left a global, changed
 * a support module or a tfjs kernel, or left tensors behind gets a new process.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { Sandbox, stageRunner } from "../../grader/sandbox/client";
import { newRunDir, stageImpl } from "../../grader/stage";
import { SOLUTIONS_DIR } from "../../grader/paths";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-reuse-"));
const runDirs: string[] = [];
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const d of runDirs) fs.rmSync(d, { recursive: true, force: true });
});
beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

/** A sandbox over the reference tensors.ts plus `extra` exported functions of our own. */
function sandboxWith(extra: string): Sandbox {
  const dir = path.join(tmp, `sub-${runDirs.length}`);
  fs.mkdirSync(dir, { recursive: true });
  const ref = fs.readFileSync(path.join(SOLUTIONS_DIR, "tensors.ts"), "utf8").split("../lib/support/").join("./support/");
  fs.writeFileSync(path.join(dir, "tensors.ts"), `${ref}\nlet calls = 0;\nexport function counter(): number { return ++calls; }\n${extra}\n`);
  const runDir = newRunDir();
  runDirs.push(runDir);
  stageImpl(dir, runDir);
  stageRunner(runDir);
  return new Sandbox({ runDir });
}

function call(sb: Sandbox, fn: string, ...args: unknown[]): unknown {
  const loaded = sb.load("tensors", 10_000);
  if (!loaded.ok) throw new Error("tensors.ts did not load");
  return (loaded.module[fn] as (...a: unknown[]) => unknown)(...args);
}

describe("sandbox reuse between exercises", () => {
  it("keeps a clean process, with the student's module loaded afresh, and the same results", () => {
    const sb = sandboxWith("");
    try {
      const q = tf.tensor2d([[1, 2], [3, 4]]);
      const first = call(sb, "dotProductScores", q, q) as tf.Tensor;
      expect(call(sb, "counter")).toBe(1);
      expect(call(sb, "counter")).toBe(2);
      const pid = (sb as unknown as { pid: number }).pid;
      expect(sb.nextExercise()).toBe(true);
      expect(sb.alive).toBe(true);
      expect((sb as unknown as { pid: number }).pid).toBe(pid);
      // The module was loaded afresh: its state starts over, as in a new process.
      expect(call(sb, "counter")).toBe(1);
      const again = call(sb, "dotProductScores", q, q) as tf.Tensor;
      expect(Array.from(again.dataSync())).toEqual(Array.from(first.dataSync()));
      expect(sb.stats).toMatchObject({ starts: 1, reused: 1 });
      tf.dispose([q, first, again]);
      // A second reuse in a row works too.
      expect(sb.nextExercise()).toBe(true);
    } finally {
      sb.stop();
    }
  });

  const dirty: [string, string, RegExp][] = [
    ["patches a built-in", "export function evil(): number { Math.abs = () => 0; return 1; }", /noted: patched Math\.abs/],
    ["leaves a global behind", "export function evil(): number { (globalThis as any).__cache = [1]; return 1; }", /global\.__cache/],
    ["changes a support module", 'export function evil(): number { (require("./support/checks") as any).requireInt = () => 1; return 1; }', /support:support\/checks\.js\.requireInt/],
    ["adds to a support module", 'export function evil(): number { (require("./support/checks") as any).extra = 1; return 1; }', /support:support\/checks\.js\.extra/],
    ["replaces a prototype method", "export function evil(): number { (String.prototype as any).trim = function () { return 'x'; }; return 1; }", /String\.prototype\.trim/],
    ["replaces a tfjs kernel", 'export function evil(): number { const k = tf.getKernel("Add", "wasm")!; tf.unregisterKernel("Add", "wasm"); tf.registerKernel({ ...k, kernelFunc: (a) => k.kernelFunc(a) }); return 1; }', /kernel\.Add/],
    ["leaves 32 MB of tensors", "export function evil(): number { tf.keep(tf.zeros([8 << 20])); return 1; }", /bytes of tensors left behind/],
  ];
  for (const [what, code, why] of dirty) {
    it(`discards the process when the last exercise ${what}`, () => {
      const sb = sandboxWith(code);
      try {
        expect(call(sb, "evil")).toBe(1);
        expect(sb.nextExercise()).toBe(false);
        expect(sb.lastDiscard).toMatch(why);
        expect(sb.alive).toBe(false);
      } finally {
        sb.stop();
      }
    });
  }

  it("discards a process that died (a crash costs only its exercise, the next one starts afresh)", () => {
    const sb = sandboxWith("");
    try {
      call(sb, "counter");
      process.kill((sb as unknown as { pid: number }).pid, "SIGKILL");
      expect(sb.nextExercise()).toBe(false);
      expect(sb.alive).toBe(false);
    } finally {
      sb.stop();
    }
  });
});
