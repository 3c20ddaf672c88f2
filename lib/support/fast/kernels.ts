/**
 * tfjs kernels (and their gradients) for the wasm backend, over the WebAssembly of kernels.c.
 *
 * Each kernel is registered under its own name ("LabLinear", "LabSelfAttention", …), so tfjs
 * tracks its tensors like any other op: tf.tidy frees them, tf.grad and optimizers see their
 * gradients, tf.profile lists them. ops.ts holds the public, documented functions; call those.
 *
 * Layout conventions: every tensor is row-major and contiguous, as tfjs stores it; the kernels
 * read heads and transposed operands in place through strides, so no Transpose kernels run.
 */
import * as tf from "@tensorflow/tfjs";
import { FLAG_ACCUMULATE, FLAG_RELU, kernelsFor, KernelExports, ptr, WasmBackend, withScratch } from "./wasm";

/** Kernel inputs by name; optional ones (bias, keyValid) may be absent. */
type Inputs = Record<string, tf.TensorInfo>;
type Attrs = tf.NamedAttrMap;
type KernelBody = (k: KernelExports, backend: WasmBackend, inputs: Inputs, attrs: Attrs) => tf.TensorInfo | tf.TensorInfo[];

function register(name: string, body: KernelBody): void {
  if (tf.getKernel(name, "wasm")) return; // already registered (a notebook re-ran its imports)
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmBackend;
      return body(kernelsFor(b), b, inputs as Inputs, attrs ?? {});
    },
  });
}

function registerGrad(config: tf.GradConfig): void {
  if (tf.getGradient(config.kernelName)) return;
  tf.registerGradient(config);
}

function run(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as Attrs) as tf.Tensor | tf.Tensor[];
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// -------------------------------------------------------------------------------------------
// Batched matrix product: a [..., ra, ca] · b [..., rb, cb] with transpose flags, same batch.

/** The strides of a contiguous [count, rows, cols] operand read as op(X) [r, c]. */
function operandStrides(rows: number, cols: number, transposed: boolean): { r: number; c: number } {
  return transposed ? { r: 1, c: cols } : { r: cols, c: 1 };
}

register("LabMatMul", (k, backend, { a, b }, attrs) => {
  const tA = Boolean(attrs.transposeA);
  const tB = Boolean(attrs.transposeB);
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const count = size(a.shape.slice(0, -2));
  const shared = b.shape.length === 2 && count > 1;
  const [m, kk] = tA ? [ca, ra] : [ra, ca];
  const n = tB ? rb : cb;
  const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], "float32");
  const sa = operandStrides(ra, ca, tA);
  const sb = operandStrides(rb, cb, tB);
  withScratch(backend, sb.c === 1 ? 0 : kk * n, (scratch) =>
    k.matmul(ptr(backend, a), ptr(backend, b), ptr(backend, out), m, n, kk, count, 1,
      ra * ca, 0, sa.r, sa.c, shared ? 0 : rb * cb, 0, sb.r, sb.c, m * n, 0, n, 1, 0, 0, scratch),
  );
  return out;
});

/** C = op(a)·op(b) through the kernel (same batch dims, or b 2-D and shared). */
export function labMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  return run("LabMatMul", { a, b }, { transposeA, transposeB }) as tf.Tensor;
}

registerGrad({
  kernelName: "LabMatMul",
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const g = dy as tf.Tensor;
    const tA = Boolean((attrs as Attrs).transposeA);
    const tB = Boolean((attrs as Attrs).transposeB);
    const shared = b.rank === 2 && a.rank > 2;
    // d(op(a)·op(b)): the four transpose cases.
    // With a shared (2-D) b and a transposed a, b comes first in da's product: broadcast it.
    const bFirst = shared ? tf.broadcastTo(b, [...a.shape.slice(0, -2), ...b.shape]) : b;
    const da = () => (tA ? (tB ? labMatMul(bFirst, g, true, true) : labMatMul(bFirst, g, false, true)) : tB ? labMatMul(g, b) : labMatMul(g, b, false, true));
    const db = () => {
      const full = shared ? tf.broadcastTo(a, a.shape) : a;
      const per = tB ? (tA ? labMatMul(g, full, true, true) : labMatMul(g, full, true, false)) : tA ? labMatMul(full, g) : labMatMul(full, g, true, false);
      return shared ? tf.sum(tf.reshape(per, [-1, ...b.shape]), 0) : per;
    };
    return { a: da, b: db };
  },
});

// -------------------------------------------------------------------------------------------
// Dense layer: y = [x·w0 + b0 | x·w1 + b1 | …] (+ residual) (relu), x [..., din], each wi
// [din, dout_i], bi [dout_i], y [..., Σ dout_i]. Several parts make one fused projection (q, k
// and v from one call) without concatenating the weights; `residual` [..., Σ dout_i] is added
// in the same pass (a transformer's x + Sublayer(x)).

/** Names of the part inputs: w0, w1, … and b0, b1, …. */
const wName = (i: number) => `w${i}`;
const bName = (i: number) => `b${i}`;

function linearDims(inputs: Inputs, attrs: Attrs) {
  const parts = attrs.parts as number;
  const x = inputs.x;
  const din = x.shape[x.shape.length - 1];
  const n = size(x.shape) / din;
  const widths = Array.from({ length: parts }, (_, i) => inputs[wName(i)].shape[1]);
  const total = widths.reduce((a, b) => a + b, 0);
  return { parts, din, n, widths, total, hasBias: Boolean(attrs.hasBias) };
}

/** The forward kernel: LabLinear1, LabLinear2, LabLinear3 by number of parts (the tape saves a fixed list of inputs per kernel name). */
const linearForward: KernelBody = (k, backend, inputs, attrs) => {
  const { parts, din, n, widths, total, hasBias } = linearDims(inputs, attrs);
  const { x, residual } = inputs;
  const y = backend.makeOutput([...x.shape.slice(0, -1), total], "float32");
  const yp = ptr(backend, y);
  if (residual) k.copy_f32(ptr(backend, residual), yp, n * total);
  const flags = (attrs.relu ? FLAG_RELU : 0) | (residual ? FLAG_ACCUMULATE : 0);
  let off = 0;
  for (let i = 0; i < parts; i++) {
    const dout = widths[i];
    k.matmul(ptr(backend, x), ptr(backend, inputs[wName(i)]), yp + 4 * off, n, dout, din, 1, 1, 0, 0, din, 1, 0, 0, dout, 1, 0, 0, total, 1,
      hasBias ? ptr(backend, inputs[bName(i)]) : 0, flags, 0);
    off += dout;
  }
  return y;
};

/** [dx, dw0, …, db0, …]: the gradients of LabLinear<P> in one call. */
register("LabLinearBackward", (k, backend, inputs, attrs) => {
  const { parts, din, n, widths, total, hasBias } = linearDims(inputs, attrs);
  const { dy, x, y } = inputs;
  const dx = backend.makeOutput(x.shape, "float32");
  const dws = widths.map((dout) => backend.makeOutput([din, dout], "float32"));
  const dbs = hasBias ? widths.map((dout) => backend.makeOutput([dout], "float32")) : [];
  const maxWidth = Math.max(...widths);
  withScratch(backend, (attrs.relu ? n * total : 0) + din * maxWidth, (scratch) => {
    let g = ptr(backend, dy);
    const pack = scratch + (attrs.relu ? n * total * 4 : 0);
    if (attrs.relu) {
      k.relu_backward(g, ptr(backend, y), scratch, n * total);
      g = scratch;
    }
    let off = 0;
    for (let i = 0; i < parts; i++) {
      const dout = widths[i];
      const gi = g + 4 * off; // columns off … off + dout of g, rows `total` apart
      // dx (+)= g_i·w_iᵀ (w_i read transposed: packed into scratch)
      k.matmul(gi, ptr(backend, inputs[wName(i)]), ptr(backend, dx), n, din, dout, 1, 1, 0, 0, total, 1, 0, 0, 1, dout, 0, 0, din, 1, 0, i > 0 ? FLAG_ACCUMULATE : 0, pack);
      // dw_i = xᵀ·g_i (x read transposed in place)
      k.matmul(ptr(backend, x), gi, ptr(backend, dws[i]), din, dout, n, 1, 1, 0, 0, 1, din, 0, 0, total, 1, 0, 0, dout, 1, 0, 0, 0);
      if (hasBias) k.column_sum(gi, ptr(backend, dbs[i]), n, dout, total);
      off += dout;
    }
  });
  return [dx, ...dws, ...dbs];
});

export const MAX_LINEAR_PARTS = 3;

for (let parts = 1; parts <= MAX_LINEAR_PARTS; parts++) {
  const weights = Array.from({ length: parts }, (_, i) => wName(i));
  register(`LabLinear${parts}`, linearForward);
  registerGrad({
    kernelName: `LabLinear${parts}`,
    inputsToSave: ["x", ...weights],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as Attrs;
      const hasBias = Boolean(a.hasBias);
      const [x, ...rest] = saved;
      const ws = rest.slice(0, parts);
      const y = rest[parts];
      const g = dy as tf.Tensor;
      const inputs: Record<string, tf.Tensor> = { dy: g, x, y };
      ws.forEach((w, i) => (inputs[wName(i)] = w));
      const out = run("LabLinearBackward", inputs, { parts, relu: Boolean(a.relu), hasBias }) as tf.Tensor[];
      const grads: Record<string, () => tf.Tensor> = { x: () => out[0], residual: () => tf.reshape(g, g.shape) };
      ws.forEach((_, i) => {
        grads[wName(i)] = () => out[1 + i];
        if (hasBias) grads[bName(i)] = () => out[1 + parts + i];
      });
      return grads;
    },
  });
}

/** The inputs of LabLinear<P>: x, w0.., b0.. (all or none), residual. */
export function linearInputs(x: tf.Tensor, ws: readonly tf.Tensor[], bs: readonly tf.Tensor[] | undefined, residual?: tf.Tensor): Record<string, tf.Tensor> {
  const inputs: Record<string, tf.Tensor> = { x };
  ws.forEach((w, i) => (inputs[wName(i)] = w));
  bs?.forEach((b, i) => (inputs[bName(i)] = b));
  if (residual) inputs.residual = residual;
  return inputs;
}

// -------------------------------------------------------------------------------------------
// Attention over heads read in place. A "source" is a [B, T, width] tensor holding one or more
// of q, k, v side by side; head h of a part at column offset `off` is columns off + h·dh ….

interface Part {
  ptr: number;
  /** Row stride (the source's width) and column offset, in floats. */
  width: number;
  off: number;
  /** Rows per batch entry. */
  rows: number;
}

interface AttentionDims {
  b: number;
  h: number;
  dh: number;
  tq: number;
  tk: number;
  scale: number;
}

/**
 * S = scale·Q·Kᵀ, P = masked softmax(S) into p; O = P·V into o ([B, Tq, h·dh]): one fused kernel,
 * blocked by 64 queries so that a block's scores are multiplied by V while still in the cache.
 */
function attentionForward(k: KernelExports, backend: WasmBackend, q: Part, kk: Part, v: Part, dims: AttentionDims, p: number, o: number, causal: boolean, keyValid: number): void {
  const { b, h, dh, tq, tk, scale } = dims;
  const up8 = (x: number) => Math.ceil(x / 8) * 8;
  withScratch(backend, dh * up8(tk) + tk * up8(dh), (scratch) =>
    k.attention_forward(q.ptr + 4 * q.off, kk.ptr + 4 * kk.off, v.ptr + 4 * v.off, p, o, b, h, tq, tk, dh,
      q.rows * q.width, q.width, kk.rows * kk.width, kk.width, v.rows * v.width, v.width, tq * h * dh, h * dh,
      scale, causal ? 1 : 0, tk - tq, keyValid, scratch),
  );
}

/** Gradients into the (strided) dq, dk, dv parts from dO [B, Tq, h·dh] and the saved P. */
function attentionBackward(k: KernelExports, backend: WasmBackend, q: Part, kk: Part, v: Part, dq: Part, dk: Part, dv: Part, dims: AttentionDims, p: number, dO: number): void {
  const { b, h, dh, tq, tk, scale } = dims;
  const d = h * dh;
  withScratch(backend, b * h * tq * tk + dh * tk, (scratch) => {
    const dS = scratch;
    const pack = scratch + 4 * b * h * tq * tk;
    // dV = Pᵀ·dO
    k.matmul(p, dO, dv.ptr + 4 * dv.off, tk, dh, tq, b, h,
      h * tq * tk, tq * tk, 1, tk,
      tq * d, dh, d, 1,
      dv.rows * dv.width, dh, dv.width, 1, 0, 0, 0);
    // dP = dO·Vᵀ
    k.matmul(dO, v.ptr + 4 * v.off, dS, tq, tk, dh, b, h,
      tq * d, dh, d, 1,
      v.rows * v.width, dh, 1, v.width,
      h * tq * tk, tq * tk, tk, 1, 0, 0, pack);
    // dS = P ⊙ (dP − rowsum(dP ⊙ P))
    k.softmax_backward(p, dS, b * h * tq, tk);
    // dQ = scale·dS·K
    k.matmul(dS, kk.ptr + 4 * kk.off, dq.ptr + 4 * dq.off, tq, dh, tk, b, h,
      h * tq * tk, tq * tk, tk, 1,
      kk.rows * kk.width, dh, kk.width, 1,
      dq.rows * dq.width, dh, dq.width, scale, 0, 0, 0);
    // dK = scale·dSᵀ·Q
    k.matmul(dS, q.ptr + 4 * q.off, dk.ptr + 4 * dk.off, tk, dh, tq, b, h,
      h * tq * tk, tq * tk, 1, tk,
      q.rows * q.width, dh, q.width, 1,
      dk.rows * dk.width, dh, dk.width, scale, 0, 0, 0);
  });
}

/** Self-attention: qkv [B, T, 3d] (q | k | v) → [o [B, T, d], p [B, h, T, T]]. */
register("LabSelfAttention", (k, backend, { qkv, keyValid }, attrs) => {
  const [b, t, w3] = qkv.shape;
  const d = w3 / 3;
  const h = attrs.numHeads as number;
  const dims: AttentionDims = { b, h, dh: d / h, tq: t, tk: t, scale: 1 / Math.sqrt(d / h) };
  const o = backend.makeOutput([b, t, d], "float32");
  const p = backend.makeOutput([b, h, t, t], "float32");
  const src = ptr(backend, qkv);
  const part = (off: number): Part => ({ ptr: src, width: w3, off, rows: t });
  attentionForward(k, backend, part(0), part(d), part(2 * d), dims, ptr(backend, p), ptr(backend, o), Boolean(attrs.causal), keyValid ? ptr(backend, keyValid) : 0);
  return [o, p];
});

register("LabSelfAttentionBackward", (k, backend, { qkv, p, dO }, attrs) => {
  const [b, t, w3] = qkv.shape;
  const d = w3 / 3;
  const h = attrs.numHeads as number;
  const dims: AttentionDims = { b, h, dh: d / h, tq: t, tk: t, scale: 1 / Math.sqrt(d / h) };
  const dqkv = backend.makeOutput([b, t, w3], "float32");
  const src = ptr(backend, qkv);
  const dst = ptr(backend, dqkv);
  const part = (base: number, off: number): Part => ({ ptr: base, width: w3, off, rows: t });
  attentionBackward(k, backend, part(src, 0), part(src, d), part(src, 2 * d), part(dst, 0), part(dst, d), part(dst, 2 * d), dims, ptr(backend, p), ptr(backend, dO));
  return dqkv;
});

registerGrad({
  kernelName: "LabSelfAttention",
  inputsToSave: ["qkv"],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const [qkv, p] = saved;
    const dO = (dys as tf.Tensor[])[0];
    const dqkv = run("LabSelfAttentionBackward", { qkv, p, dO }, { numHeads: (attrs as Attrs).numHeads }) as tf.Tensor;
    return { qkv: () => dqkv, keyValid: () => tf.zeros(qkv.shape.slice(0, 2)) };
  },
});

/** Cross-attention: q [B, Tq, d], kv [B, Tk, 2d] (k | v) → [o [B, Tq, d], p [B, h, Tq, Tk]]. */
register("LabCrossAttention", (k, backend, { q, kv, keyValid }, attrs) => {
  const [b, tq, d] = q.shape;
  const tk = kv.shape[1];
  const h = attrs.numHeads as number;
  const dims: AttentionDims = { b, h, dh: d / h, tq, tk, scale: 1 / Math.sqrt(d / h) };
  const o = backend.makeOutput([b, tq, d], "float32");
  const p = backend.makeOutput([b, h, tq, tk], "float32");
  const kvp = ptr(backend, kv);
  attentionForward(k, backend, { ptr: ptr(backend, q), width: d, off: 0, rows: tq }, { ptr: kvp, width: 2 * d, off: 0, rows: tk },
    { ptr: kvp, width: 2 * d, off: d, rows: tk }, dims, ptr(backend, p), ptr(backend, o), Boolean(attrs.causal), keyValid ? ptr(backend, keyValid) : 0);
  return [o, p];
});

register("LabCrossAttentionBackward", (k, backend, { q, kv, p, dO }, attrs) => {
  const [b, tq, d] = q.shape;
  const tk = kv.shape[1];
  const h = attrs.numHeads as number;
  const dims: AttentionDims = { b, h, dh: d / h, tq, tk, scale: 1 / Math.sqrt(d / h) };
  const dq = backend.makeOutput([b, tq, d], "float32");
  const dkv = backend.makeOutput([b, tk, 2 * d], "float32");
  const qp = ptr(backend, q);
  const kvp = ptr(backend, kv);
  const dqp = ptr(backend, dq);
  const dkvp = ptr(backend, dkv);
  attentionBackward(k, backend,
    { ptr: qp, width: d, off: 0, rows: tq }, { ptr: kvp, width: 2 * d, off: 0, rows: tk }, { ptr: kvp, width: 2 * d, off: d, rows: tk },
    { ptr: dqp, width: d, off: 0, rows: tq }, { ptr: dkvp, width: 2 * d, off: 0, rows: tk }, { ptr: dkvp, width: 2 * d, off: d, rows: tk },
    dims, ptr(backend, p), ptr(backend, dO));
  return [dq, dkv];
});

registerGrad({
  kernelName: "LabCrossAttention",
  inputsToSave: ["q", "kv"],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const [q, kv, p] = saved;
    const dO = (dys as tf.Tensor[])[0];
    const [dq, dkv] = run("LabCrossAttentionBackward", { q, kv, p, dO }, { numHeads: (attrs as Attrs).numHeads }) as tf.Tensor[];
    return { q: () => dq, kv: () => dkv, keyValid: () => tf.zeros(kv.shape.slice(0, 2)) };
  },
});

// -------------------------------------------------------------------------------------------
// Layer norm over the last axis of x [..., d].

register("LabLayerNorm", (k, backend, { x, gamma, beta }, attrs) => {
  const d = x.shape[x.shape.length - 1];
  const n = size(x.shape) / d;
  const y = backend.makeOutput(x.shape, "float32");
  const mean = backend.makeOutput([n], "float32");
  const rstd = backend.makeOutput([n], "float32");
  k.layernorm_forward(ptr(backend, x), ptr(backend, gamma), ptr(backend, beta), ptr(backend, y), ptr(backend, mean), ptr(backend, rstd), n, d, attrs.eps as number);
  return [y, mean, rstd];
});

register("LabLayerNormBackward", (k, backend, { dy, x, gamma, mean, rstd }) => {
  const d = x.shape[x.shape.length - 1];
  const n = size(x.shape) / d;
  const dx = backend.makeOutput(x.shape, "float32");
  const dgamma = backend.makeOutput([d], "float32");
  const dbeta = backend.makeOutput([d], "float32");
  k.layernorm_backward(ptr(backend, dy), ptr(backend, x), ptr(backend, gamma), ptr(backend, mean), ptr(backend, rstd),
    ptr(backend, dx), ptr(backend, dgamma), ptr(backend, dbeta), n, d);
  return [dx, dgamma, dbeta];
});

registerGrad({
  kernelName: "LabLayerNorm",
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    const [x, gamma, mean, rstd] = saved;
    const dy = (dys as tf.Tensor[])[0];
    const [dx, dgamma, dbeta] = run("LabLayerNormBackward", { dy, x, gamma, mean, rstd }) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});

// -------------------------------------------------------------------------------------------
// Embedding lookup: table [V, d], ids int32 [N] → [N, d].

register("LabEmbedding", (k, backend, { table, ids }) => {
  const [v, d] = table.shape;
  const n = ids.shape[0];
  const out = backend.makeOutput([n, d], "float32");
  k.embedding_forward(ptr(backend, ids), ptr(backend, table), ptr(backend, out), n, d, v);
  return out;
});

register("LabEmbeddingBackward", (k, backend, { ids, dy }, attrs) => {
  const [n, d] = dy.shape;
  const v = attrs.vocabSize as number;
  const dtable = backend.makeOutput([v, d], "float32");
  k.embedding_backward(ptr(backend, ids), ptr(backend, dy), ptr(backend, dtable), n, d, v);
  return dtable;
});

registerGrad({
  kernelName: "LabEmbedding",
  inputsToSave: ["table", "ids"],
  gradFunc: (dy, saved) => {
    const [table, ids] = saved;
    const dtable = run("LabEmbeddingBackward", { ids, dy: dy as tf.Tensor }, { vocabSize: table.shape[0] }) as tf.Tensor;
    return { table: () => dtable, ids: () => tf.zerosLike(ids) };
  },
});

// -------------------------------------------------------------------------------------------
// Cross-entropy: logits [N, V], targets int32 [N] → [loss scalar, dlogits [N, V]]; the gradient
// is computed with the loss (one pass) and scaled by the incoming gradient on the way back.

register("LabCrossEntropy", (k, backend, { logits, targets }, attrs) => {
  const [n, v] = logits.shape;
  const loss = backend.makeOutput([], "float32");
  const dlogits = backend.makeOutput([n, v], "float32");
  k.cross_entropy(ptr(backend, logits), ptr(backend, targets), n, v, attrs.ignoreIndex as number, ptr(backend, dlogits), ptr(backend, loss));
  return [loss, dlogits];
});

registerGrad({
  kernelName: "LabCrossEntropy",
  inputsToSave: ["targets"],
  outputsToSave: [false, true],
  gradFunc: (dys, saved) => {
    const [targets, dlogits] = saved;
    const dloss = (dys as tf.Tensor[])[0];
    return { logits: () => tf.mul(dlogits, dloss), targets: () => tf.zerosLike(targets) };
  },
});

// -------------------------------------------------------------------------------------------
// One AdamW step for one variable: returns the new parameter values; m and v (tensors the
// optimizer owns and never hands out) are updated in place.

register("LabAdamStep", (k, backend, { p, g, m, v }, attrs) => {
  const out = backend.makeOutput(p.shape, "float32");
  const a = attrs as Record<string, number>;
  k.adam_step(ptr(backend, p), ptr(backend, g), ptr(backend, m), ptr(backend, v), ptr(backend, out), size(p.shape),
    a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.bc1, a.bc2);
  return out;
});

// -------------------------------------------------------------------------------------------
// GRU recurrence over T steps: xw [B, T, 3H] (input projections, bias included), wh [H, 3H],
// bh [3H], h0 [B, H], valid [B, T] → [states [B, T, H], saved [B, T, 4H]] (saved: the gates,
// for the backward pass). One kernel call runs every step.

register("LabGru", (k, backend, { xw, wh, bh, h0, valid }) => {
  const [b, t, h3] = xw.shape;
  const h = h3 / 3;
  const states = backend.makeOutput([b, t, h], "float32");
  const saved = backend.makeOutput([b, t, 4 * h], "float32");
  withScratch(backend, b * h3, (scratch) =>
    k.gru_forward(ptr(backend, xw), ptr(backend, wh), ptr(backend, bh), ptr(backend, h0), ptr(backend, valid), ptr(backend, states), ptr(backend, saved), b, t, h, scratch),
  );
  return [states, saved];
});

register("LabGruBackward", (k, backend, { dstates, states, saved, h0, valid, wh }) => {
  const [b, t, h] = states.shape;
  const dxw = backend.makeOutput([b, t, 3 * h], "float32");
  const dwh = backend.makeOutput([h, 3 * h], "float32");
  const dbh = backend.makeOutput([3 * h], "float32");
  const dh0 = backend.makeOutput([b, h], "float32");
  withScratch(backend, 3 * h * h + b * t * 3 * h + b * t * h + b * h, (scratch) =>
    k.gru_backward(ptr(backend, dstates), ptr(backend, states), ptr(backend, saved), ptr(backend, h0), ptr(backend, valid), ptr(backend, wh),
      ptr(backend, dxw), ptr(backend, dwh), ptr(backend, dbh), ptr(backend, dh0), b, t, h, scratch),
  );
  return [dxw, dwh, dbh, dh0];
});

registerGrad({
  kernelName: "LabGru",
  inputsToSave: ["wh", "h0", "valid"],
  outputsToSave: [true, true],
  gradFunc: (dys, saved) => {
    const [wh, h0, valid, states, gates] = saved;
    const dstates = (dys as tf.Tensor[])[0];
    const [dxw, dwh, dbh, dh0] = run("LabGruBackward", { dstates, states, saved: gates, h0, valid, wh }) as tf.Tensor[];
    return { xw: () => dxw, wh: () => dwh, bh: () => dbh, h0: () => dh0, valid: () => tf.zerosLike(valid) };
  },
});

export { run as runLabKernel };
