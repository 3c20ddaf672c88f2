/**
 * The fast path's WebAssembly: the committed modules are what build-kernels.sh makes from the
 * committed kernels.c; they import nothing but the memory; they never write outside the buffers
 * they are given (they share tfjs's memory); both builds (relaxed and baseline) agree with plain
 * tfjs.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { KERNELS_SOURCE_SHA256, KERNELS_WASM_BASELINE, KERNELS_WASM_RELAXED } from "../../lib/support/fast/kernels-wasm";
import { crossEntropy, gruRecurrence, layerNorm, linear, plain, selfAttention } from "../../lib/support/fast/ops";
import { kernelVariant, useKernelVariantForTests } from "../../lib/support/fast/wasm";

const DIR = path.join(__dirname, "..", "..", "lib", "support", "fast");
const modules = { baseline: KERNELS_WASM_BASELINE, relaxed: KERNELS_WASM_RELAXED };

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
  kernelVariant(); // enables relaxed SIMD in this process if the engine has it
});

describe("the committed kernels", () => {
  it("were built from the committed kernels.c", () => {
    const sha = crypto.createHash("sha256").update(fs.readFileSync(path.join(DIR, "kernels.c"))).digest("hex");
    expect(sha, "kernels.c changed: run lib/support/fast/build-kernels.sh").toBe(KERNELS_SOURCE_SHA256);
  });

  const tools = ["clang", "wasm-ld", "wasm2wat", "wat2wasm"].every((t) => spawnSync("which", [t]).status === 0);
  it.skipIf(!tools)("are byte for byte what build-kernels.sh makes (needs clang, lld, wabt)", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lab-kernels-")), "kernels-wasm.ts");
    const run = spawnSync("bash", [path.join(DIR, "build-kernels.sh"), out], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readFileSync(out, "utf8")).toBe(fs.readFileSync(path.join(DIR, "kernels-wasm.ts"), "utf8"));
  });

  for (const [name, b64] of Object.entries(modules)) {
    it(`${name}: imports only the memory, exports the kernels`, () => {
      const m = new WebAssembly.Module(Buffer.from(b64, "base64"));
      expect(WebAssembly.Module.imports(m)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
      expect(WebAssembly.Module.exports(m).map((e) => e.name).sort()).toEqual(
        ["adam_step", "attention_forward", "column_sum", "copy_f32", "cross_entropy", "embedding_backward", "embedding_forward",
          "gru_backward", "gru_forward", "layernorm_backward", "layernorm_forward", "matmul", "relu_backward", "softmax_backward"].sort(),
      );
    });

    it(`${name}: writes only into the output buffers it is given`, () => {
      // Memory laid out as [guard | inputs | guard | outputs | guard]; every kernel runs, then the
      // guards and inputs must be byte-identical (the module has no stack or data of its own).
      const memory = new WebAssembly.Memory({ initial: 64 });
      const e = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(b64, "base64")), { env: { memory } }).exports as Record<string, (...a: number[]) => void>;
      const f = new Float32Array(memory.buffer);
      const guard = 4096; // floats
      for (let i = 0; i < f.length; i++) f[i] = ((i * 2654435761) % 1000) / 997 - 0.5;
      const ids = new Int32Array(memory.buffer);
      const inA = guard, inB = inA + 4096, inC = inB + 4096, ints = inC + 4096; // input regions (floats)
      for (let i = 0; i < 64; i++) ids[ints + i] = i % 7;
      const out = ints + 64 + guard; // outputs start after a guard
      const o = (k: number) => 4 * (out + k * 8192);
      const snapshot = Float32Array.from(f.subarray(0, out));
      const tail = Float32Array.from(f.subarray(out + 8 * 8192, out + 8 * 8192 + guard));
      const p = (floats: number) => 4 * floats;
      e.matmul(p(inA), p(inB), o(0), 13, 11, 9, 2, 1, 117, 0, 9, 1, 99, 0, 11, 1, 143, 0, 11, 1, 0, 3, 0);
      e.matmul(p(inA), p(inB), o(1), 13, 11, 9, 1, 1, 0, 0, 1, 13, 0, 0, 1, 9, 0, 0, 11, 1, p(inC), 0, o(7));
      e.softmax_backward(p(inA), o(0), 26, 11);
      e.attention_forward(p(inA), p(inB), p(inC), o(0), o(1), 2, 2, 13, 11, 6, 160, 12, 140, 12, 150, 12, 13 * 12, 12, 0.4, 1, -2, p(inA), o(7));
      e.layernorm_forward(p(inA), p(inB), p(inC), o(2), o(3), o(3) + 400, 50, 24, 1e-5);
      e.layernorm_backward(p(inA), p(inB), p(inC), p(inA), p(inB), o(4), o(5), o(5) + 400, 50, 24);
      e.column_sum(p(inA), o(6), 33, 7, 9);
      e.relu_backward(p(inA), p(inB), o(6), 99);
      e.copy_f32(p(inA), o(2), 101);
      e.embedding_forward(4 * ints, p(inA), o(2), 64, 13, 7);
      e.embedding_backward(4 * ints, p(inA), o(3), 64, 13, 7);
      e.cross_entropy(p(inA), 4 * ints, 64, 7, 3, o(4), o(5));
      e.adam_step(p(inA), p(inB), o(5), o(6), o(4), 77, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.001);
      // GRU: B 3, T 4, H 5 (xw [3,4,15], wh [5,15], bh [15], h0 [3,5], valid [3,4]); scratch after the outputs
      e.gru_forward(p(inA), p(inB), p(inC), p(inA + 200), p(inC + 100), o(0), o(1), 3, 4, 5, o(2));
      e.gru_backward(p(inA), o(0), o(1), p(inA + 200), p(inC + 100), p(inB), o(3), o(4), o(4) + 400, o(4) + 800, 3, 4, 5, o(5));
      expect(Array.from(f.subarray(0, out)).every((x, i) => Object.is(x, snapshot[i]))).toBe(true);
      expect(Array.from(f.subarray(out + 8 * 8192, out + 8 * 8192 + guard)).every((x, i) => Object.is(x, tail[i]))).toBe(true);
    });
  }
});

describe("both builds agree with plain tfjs", () => {
  afterAll(() => useKernelVariantForTests(kernelVariant()));
  for (const variant of ["baseline", "relaxed"] as const) {
    it(variant, () => {
      useKernelVariantForTests(variant);
      tf.tidy(() => {
        const x = tf.randomNormal([4, 9, 24], 0, 1, "float32", 1);
        const w = tf.randomNormal([24, 72], 0, 0.2, "float32", 2);
        const qkv = linear(x, w);
        const a = selfAttention(qkv, 4, { causal: true }).output;
        const [q, k, v] = tf.split(qkv, 3, 2);
        const b = plain.attention(q, k, v, 4, { causal: true }).output;
        expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
        const g = tf.ones([24]);
        const z = tf.zeros([24]);
        expect(tf.max(tf.abs(tf.sub(layerNorm(a, g, z), plain.layerNorm(b, g, z, 1e-5)))).dataSync()[0]).toBeLessThan(1e-4);
        const t = tf.randomUniform([4, 9], 0, 24, "int32", 3);
        expect(Math.abs(crossEntropy(a, t).dataSync()[0] - plain.crossEntropy(tf.reshape(b, [-1, 24]), tf.reshape(t, [-1]), -1).dataSync()[0])).toBeLessThan(1e-5);
        const xw = tf.randomNormal([3, 5, 18], 0, 1, "float32", 4);
        const wh = tf.randomNormal([6, 18], 0, 0.4, "float32", 5);
        const bh = tf.randomNormal([18], 0, 0.4, "float32", 6);
        const h0 = tf.randomNormal([3, 6], 0, 1, "float32", 7);
        const valid = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]]);
        expect(tf.max(tf.abs(tf.sub(gruRecurrence(xw, wh, bh, h0, valid), plain.gruRecurrence(xw, wh, bh, h0, valid)))).dataSync()[0]).toBeLessThan(1e-5);
      });
    });
  }
});
