/**
 * The fast path's ops (lib/support/fast) against the plain tfjs versions next to them, on the
 * wasm backend: same values and same gradients (to 1e-5 relative) on injected inputs, for every
 * shape class the models use (tails that are not multiples of the SIMD width, transposes,
 * masks), no leaked tensors, and a second call giving the same numbers.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { relErr } from "./compare";
import { setupBackend } from "../../lib/support/backend";
import { conv2d, crossAttention, crossEntropy, embedding, layerNorm, linear, linearParts, matMul, plain, selfAttention } from "../../lib/support/fast/ops";
import { AdamW } from "../../lib/support/fast/adam";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

const randn = (shape: number[], seed: number, std = 1) => tf.randomNormal(shape, 0, std, "float32", seed);


/** Values and gradients (w.r.t. every input, through a random projection) of fast vs plain. */
function agree(fast: (...xs: tf.Tensor[]) => tf.Tensor, slow: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = 1e-5): void {
  tf.tidy(() => {
    const yf = fast(...inputs);
    const ys = slow(...inputs);
    expect(relErr(yf, ys)).toBeLessThan(tol);
    const proj = randn(ys.shape, 99);
    const loss = (f: (...xs: tf.Tensor[]) => tf.Tensor) => (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), proj)) as tf.Scalar;
    const gf = tf.grads(loss(fast))(inputs);
    const gs = tf.grads(loss(slow))(inputs);
    gf.forEach((g, i) => expect(relErr(g, gs[i]), `gradient of input ${i}`).toBeLessThan(tol));
  });
}

describe("fast ops agree with plain tfjs on wasm", () => {
  it("matMul: every transpose combination, batched, shared right operand, odd sizes", () => {
    for (const [m, k, n] of [[5, 7, 9], [16, 16, 16], [33, 64, 70], [1, 3, 1]]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const a = randn(tA ? [3, k, m] : [3, m, k], 1);
          const b = randn(tB ? [3, n, k] : [3, k, n], 2);
          agree((x, y) => matMul(x, y, tA, tB), (x, y) => tf.matMul(x, y, tA, tB), [a, b]);
          const w = randn(tB ? [n, k] : [k, n], 3);
          agree((x, y) => matMul(x, y, tA, tB), (x, y) => tf.matMul(x, tf.broadcastTo(y, [3, ...y.shape]), tA, tB), [a, w]);
          tf.dispose([a, b, w]);
        }
      }
    }
  });

  it("linear: with and without bias and relu, 2-D and 3-D inputs, d not a multiple of 8", () => {
    for (const [din, dout] of [[64, 256], [13, 29], [8, 3]]) {
      const x = randn([2, 11, din], 4);
      const w = randn([din, dout], 5, 0.3);
      const b = randn([dout], 6);
      for (const relu of [false, true]) {
        agree((x1, w1, b1) => linear(x1, w1, b1, { relu }), (x1, w1, b1) => tf.reshape(plain.linear(tf.reshape(x1, [-1, din]), w1, b1, relu), [2, 11, dout]), [x, w, b]);
        agree((x1, w1) => linear(x1, w1, undefined, { relu }), (x1, w1) => tf.reshape(plain.linear(tf.reshape(x1, [-1, din]), w1, undefined, relu), [2, 11, dout]), [x, w]);
      }
      tf.dispose([x, w, b]);
    }
  });

  it("linearParts: three weights side by side, a missing bias, a residual, relu", () => {
    const x = randn([2, 5, 12], 40);
    const ws = [randn([12, 8], 41), randn([12, 5], 42), randn([12, 8], 43)];
    const b0 = randn([8], 44);
    const b2 = randn([8], 45);
    const residual = randn([2, 5, 21], 46);
    const slow = (x1: tf.Tensor, w0: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, c0: tf.Tensor, c2: tf.Tensor, r: tf.Tensor, relu: boolean) => {
      const y = tf.concat([tf.add(tf.matMul(tf.reshape(x1, [-1, 12]), w0), c0), tf.matMul(tf.reshape(x1, [-1, 12]), w1), tf.add(tf.matMul(tf.reshape(x1, [-1, 12]), w2), c2)], 1);
      const z = tf.add(tf.reshape(y, [2, 5, 21]), r);
      return relu ? tf.relu(z) : z;
    };
    agree(
      (x1, w0, w1, w2, c0, c2, r) => linearParts(x1, [w0, w1, w2], [c0, undefined, c2], { residual: r }),
      (x1, w0, w1, w2, c0, c2, r) => slow(x1, w0, w1, w2, c0, c2, r, false),
      [x, ...ws, b0, b2, residual],
    );
    const zero = tf.zerosLike(residual);
    agree(
      (x1, w0, w1, w2, c0, c2) => linearParts(x1, [w0, w1, w2], [c0, undefined, c2], { relu: true }),
      (x1, w0, w1, w2, c0, c2) => slow(x1, w0, w1, w2, c0, c2, zero, true),
      [x, ...ws, b0, b2],
    );
    expect(() => linearParts(x, ws, undefined, { relu: true, residual })).toThrow("relu and residual together are not supported");
    expect(() => linearParts(x, [ws[0]], undefined, { residual: randn([2, 5, 7], 47) })).toThrow("fast.linear: residual [2,5,7] must be [2,5,8]");
    tf.dispose([x, ...ws, b0, b2, residual, zero]);
  });

  it("layerNorm", () => {
    for (const d of [64, 30, 5]) {
      const x = tf.add(randn([3, 7, d], 7, 2), 1.5);
      const g = randn([d], 8);
      const b = randn([d], 9);
      agree((x1, g1, b1) => layerNorm(x1, g1, b1), (x1, g1, b1) => plain.layerNorm(x1, g1, b1, 1e-5), [x, g, b]);
      tf.dispose([x, g, b]);
    }
  });

  it("selfAttention: no mask, causal, key padding (with a fully padded sequence), both", () => {
    const [b, t, d, h] = [3, 9, 24, 4];
    const qkv = randn([b, t, 3 * d], 10);
    const keyValid = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]]);
    for (const opts of [{}, { causal: true }, { keyValid }, { causal: true, keyValid }]) {
      agree((x) => selfAttention(x, h, opts).output, (x) => {
        const [q, k, v] = tf.split(x, 3, 2);
        return plain.attention(q, k, v, h, opts).output;
      }, [qkv]);
      tf.tidy(() => {
        const [q, k, v] = tf.split(qkv, 3, 2);
        expect(relErr(selfAttention(qkv, h, opts).weights, plain.attention(q, k, v, h, opts).weights)).toBeLessThan(1e-6);
      });
    }
    // the fully padded sequence gets zero weights and a zero output, never NaN
    const { output, weights } = selfAttention(qkv, h, { keyValid });
    expect(Math.max(...tf.abs(output.slice([2, 0, 0], [1, t, d])).dataSync())).toBe(0);
    expect(Math.max(...tf.abs(weights.slice([2, 0, 0, 0], [1, h, t, t])).dataSync())).toBe(0);
    tf.dispose([qkv, keyValid, output, weights]);
  });

  it("crossAttention: more keys than queries, causal aligned at the end, key padding", () => {
    const [b, tq, tk, d, h] = [2, 5, 8, 16, 2];
    const q = randn([b, tq, d], 11);
    const kv = randn([b, tk, 2 * d], 12);
    const keyValid = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0, 0]]);
    for (const opts of [{}, { causal: true }, { keyValid }]) {
      agree((x, y) => crossAttention(x, y, h, opts).output, (x, y) => {
        const [k, v] = tf.split(y, 2, 2);
        return plain.attention(x, k, v, h, opts).output;
      }, [q, kv]);
    }
    tf.dispose([q, kv, keyValid]);
  });

  it("attention over several blocks of 64 queries (T, keys and head size not multiples of 8; causal blocks skip keys)", () => {
    const [b, t, d, h] = [2, 150, 40, 4];
    const qkv = randn([b, t, 3 * d], 15);
    const keyValid = tf.tidy(() => tf.cast(tf.less(tf.tile(tf.range(0, t).expandDims(0), [b, 1]), tf.tensor2d([[t], [97]])), "float32"));
    for (const opts of [{}, { causal: true }, { causal: true, keyValid }]) {
      tf.tidy(() => {
        const [q, k, v] = tf.split(qkv, 3, 2);
        const fast = selfAttention(qkv, h, opts);
        const ref = plain.attention(q, k, v, h, opts);
        expect(relErr(fast.output, ref.output)).toBeLessThan(1e-5);
        expect(relErr(fast.weights, ref.weights)).toBeLessThan(1e-5);
      });
    }
    // more keys than queries, causal aligned at the end: queries 0..69 see keys 0..63+i
    const q2 = randn([b, 70, d], 16);
    const kv2 = randn([b, 133, 2 * d], 17);
    tf.tidy(() => {
      const [k, v] = tf.split(kv2, 2, 2);
      expect(relErr(crossAttention(q2, kv2, h, { causal: true }).output, plain.attention(q2, k, v, h, { causal: true }).output)).toBeLessThan(1e-5);
    });
    tf.dispose([qkv, keyValid, q2, kv2]);
  });

  it("embedding and crossEntropy (with ignored positions)", () => {
    const table = randn([29, 20], 13);
    const ids = tf.tensor2d([[1, 5, 28, 0], [7, 7, 7, 3]], undefined, "int32");
    agree((t) => embedding(t, ids), (t) => tf.reshape(plain.embedding(t, tf.reshape(ids, [-1])), [2, 4, 20]), [table]);
    const logits = randn([2, 4, 29], 14, 3);
    for (const ignore of [-1, 7]) {
      agree((l) => crossEntropy(l, ids, ignore), (l) => plain.crossEntropy(tf.reshape(l, [-1, 29]), tf.reshape(ids, [-1]), ignore), [logits]);
    }
    // every target ignored: a loss of 0 and a zero gradient, not NaN
    const all7 = tf.fill([2, 4], 7, "int32");
    expect(crossEntropy(logits, all7, 7).dataSync()[0]).toBe(0);
    tf.dispose([table, ids, logits, all7]);
  });

  it("AdamW: the same parameters as the plain update after several steps", () => {
    const make = () => [tf.variable(randn([13, 7], 20)), tf.variable(randn([7], 21))];
    const target = randn([5, 7], 22);
    const x = randn([5, 13], 23);
    const loss = (vars: tf.Variable[]) => () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, vars[0]), vars[1]), target))) as tf.Scalar;
    const fastVars = make();
    const fastOpt = new AdamW(fastVars, { learningRate: 0.05, weightDecay: 0.1 });
    for (let i = 0; i < 6; i++) fastOpt.step(loss(fastVars));
    // The same rule written out in plain JS numbers, from the same start.
    const p = make().map((v) => Array.from(v.dataSync()));
    const ref = make();
    const m = p.map((a) => a.map(() => 0));
    const s = p.map((a) => a.map(() => 0));
    for (let t = 1; t <= 6; t++) {
      const { grads } = tf.variableGrads(loss(ref), ref);
      ref.forEach((v, j) => {
        const g = grads[v.name].dataSync();
        const values = Array.from(v.dataSync()).map((pi, i) => {
          m[j][i] = 0.9 * m[j][i] + 0.1 * g[i];
          s[j][i] = 0.999 * s[j][i] + 0.001 * g[i] * g[i];
          const mh = m[j][i] / (1 - 0.9 ** t);
          const vh = s[j][i] / (1 - 0.999 ** t);
          return pi * (1 - 0.05 * 0.1) - (0.05 * mh) / (Math.sqrt(vh) + 1e-8);
        });
        v.assign(tf.tensor(values, v.shape));
      });
      tf.dispose(grads);
    }
    fastVars.forEach((v, j) => expect(relErr(v, ref[j])).toBeLessThan(1e-5));
    fastOpt.dispose();
    tf.dispose([...fastVars, ...ref, target, x]);
  });
});

describe("fast ops: memory and repeat calls", () => {
  it("leave no tensors behind (forward and backward), and repeat the same numbers", () => {
    const qkv = randn([2, 6, 48], 30);
    const w = randn([16, 16], 31);
    const run = () =>
      tf.tidy(() => {
        const g = tf.grad((x: tf.Tensor) => {
          const a = selfAttention(x, 2, { causal: true }).output;
          return tf.sum(linear(layerNorm(a, tf.ones([16]), tf.zeros([16])), w, undefined, { relu: true }));
        })(qkv);
        return g;
      });
    const first = run();
    const before = tf.memory().numTensors;
    const second = run();
    expect(tf.memory().numTensors - before).toBe(1); // just `second`
    expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()));
    tf.dispose([qkv, w, first, second]);
  });
});

describe("fast conv2d (tfjs-wasm lacks the filter gradient of tf.conv2d)", () => {
  /** Values and gradients w.r.t. x, w and bias through a fixed projection, as plain arrays. */
  function valueAndGrads(conv: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor, x: number[], w: number[], b: number[], shapes: number[][], seed: number): Float32Array[] {
    return tf.tidy(() => {
      const inputs = [tf.tensor(x, shapes[0]), tf.tensor(w, shapes[1]), tf.tensor(b, shapes[2])];
      const y = conv(inputs[0], inputs[1], inputs[2]);
      const proj = tf.tensor(Array.from({ length: y.size }, (_, i) => Math.sin(i * 0.37 + seed)), y.shape);
      const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(conv(a, c, d), proj)) as tf.Scalar)(inputs);
      return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
    });
  }

  it("equals tf.conv2d(x, w, 1, \"same\") + bias and its gradients (computed on the cpu backend, which has them)", async () => {
    const cases: { x: number[]; w: number[] }[] = [
      { x: [3, 9, 7, 5], w: [3, 3, 5, 4] },
      { x: [2, 8, 8, 1], w: [5, 5, 1, 6] },
      { x: [2, 4, 6, 3], w: [1, 1, 3, 2] },
      { x: [1, 2, 3, 2], w: [3, 3, 2, 3] }, // the kernel is wider than the image is tall
    ];
    const data = cases.map((c, i) => {
      const shapes = [c.x, c.w, [c.w[3]]];
      return { shapes, values: shapes.map((s, j) => Array.from(tf.tidy(() => randn(s, 40 + 3 * i + j)).dataSync())) };
    });
    const onWasm = data.map((d, i) => valueAndGrads(conv2d, d.values[0], d.values[1], d.values[2], d.shapes, i));
    await setupBackend("cpu", { quiet: true });
    const ref = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"), b);
    const onCpu = data.map((d, i) => valueAndGrads(ref, d.values[0], d.values[1], d.values[2], d.shapes, i));
    await setupBackend("wasm", { quiet: true });
    onWasm.forEach((parts, i) => parts.forEach((got, j) => {
      const want = onCpu[i][j];
      const scale = 1 + Math.max(...Array.from(want, Math.abs));
      const err = Math.max(...Array.from(got, (g, q) => Math.abs(g - want[q]))) / scale;
      expect(got.length, `case ${i} part ${j}`).toBe(want.length);
      expect(err, `case ${i}: ${["value", "dx", "dw", "dbias"][j]}`).toBeLessThan(1e-5);
    }));
  });

  it("rejects even kernels and channel mismatches, and leaves no tensors behind", () => {
    const x = randn([1, 5, 5, 2], 50);
    expect(() => conv2d(x, tf.zeros([2, 2, 2, 3]))).toThrow(/fast\.conv2d: w \[2,2,2,3\] must be \[k, k, C, F\] with k odd/);
    expect(() => conv2d(x, tf.zeros([3, 3, 4, 3]))).toThrow(/fast\.conv2d: x \[1,5,5,2\] must have C = 4 channels/);
    const w = randn([3, 3, 2, 3], 51);
    const run = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv2d(a, b)) as tf.Scalar)([x, w]));
    tf.dispose(run());
    const before = tf.memory().numTensors;
    tf.dispose(run());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
