/**
 * The fast training path's building blocks: differentiable ops with their own gradients, on the
 * wasm kernels of kernels.c (see kernels.ts). On any other backend each op falls back to the
 * same maths in plain tfjs ops (slower, identical results up to float rounding).
 *
 * Masks here are not [Tq, Tk] tensors but what the kernels apply directly: `causal` (query i sees
 * keys j ≤ i, aligned at the end when Tq < Tk) and `keyValid` [B, Tk] (1 = a real key, 0 =
 * padding). A query with no allowed key gets all-zero weights and a zero output, as in
 * solutions/attention.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import { labMatMul, linearInputs, MAX_LINEAR_PARTS, runLabKernel } from "./kernels";
import { fastAvailable } from "./wasm";

/**
 * The plain versions: the same maths in ordinary tfjs ops, differentiated by tfjs. The fast ops
 * use them on backends other than wasm; the agreement tests compare the two.
 */
export const plain = {
  /** x [N, din] · w + bias, relu optional. */
  linear(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | undefined, relu: boolean): tf.Tensor {
    let y = tf.matMul(x, w);
    if (bias) y = tf.add(y, bias);
    return relu ? tf.relu(y) : y;
  },
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  },
  attention,
  /** table [V, d], ids int32 [N] → [N, d] as one-hot × table (tf.gather has no gradient on wasm). */
  embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
    return tf.matMul(tf.oneHot(ids, table.shape[0]), table);
  },
  /** The GRU recurrence of gruRecurrence, step by step in tfjs ops (gates r | z | n, PyTorch's form). */
  gruRecurrence(xw: tf.Tensor, wh: tf.Tensor, bh: tf.Tensor, h0: tf.Tensor, valid: tf.Tensor): tf.Tensor {
    const t = xw.shape[1] as number;
    // One step: a reshape, not unstack/stack (tfjs's Unpack gradient fails on a single output).
    const along = (x: tf.Tensor): tf.Tensor[] => (t === 1 ? [tf.squeeze(x, [1])] : tf.unstack(x, 1));
    const steps = along(xw); // T × [B, 3H]
    const keep = along(tf.expandDims(valid, 2)); // T × [B, 1]
    const states: tf.Tensor[] = [];
    let h = h0;
    for (let i = 0; i < t; i++) {
      const next = plain.gruStep(steps[i], tf.add(tf.matMul(h, wh), bh), h);
      h = tf.add(h, tf.mul(keep[i], tf.sub(next, h))); // padding (valid 0): the state carries over
      states.push(h);
    }
    return t === 1 ? tf.expandDims(states[0], 1) : tf.stack(states, 1);
  },
  /**
   * One GRU step from the two projections xw = x·Wx + bx and hw = h·Wh + bh, each [B, 3H], and
   * the state h [B, H]: r = σ(xw_r + hw_r), z = σ(xw_z + hw_z), n = tanh(xw_n + r ⊙ hw_n),
   * h' = (1 − z) ⊙ n + z ⊙ h.
   */
  gruStep(xw: tf.Tensor, hw: tf.Tensor, h: tf.Tensor): tf.Tensor {
    const n = h.shape[1] as number;
    const [xr, xz, xn] = tf.split(xw, [n, n, n], 1);
    const [hr, hz, hn] = tf.split(hw, [n, n, n], 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const cand = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    return tf.add(cand, tf.mul(z, tf.sub(h, cand))); // (1 − z)·n + z·h
  },
  /** logits [N, V], targets int32 [N]. */
  crossEntropy(logits: tf.Tensor, targets: tf.Tensor, ignoreIndex: number): tf.Scalar {
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, logits.shape[1] as number)), -1);
    const keep = tf.cast(tf.notEqual(targets, ignoreIndex), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(picked, keep))), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
  },
};

// Every model-level op below counts its calls in one process-wide counter (on globalThis, so the
// copy of this module that the grader stages with a submission counts into the same one). The
// grader reads it to tell an exercise built from the student's own functions from one that hands
// the work to the fast path (gptForwardFast, decodeStepFast, the fast layers). fast.matMul is not
// counted: the reference solutions' batchMatMul (lib/support/ops.ts) runs on it.
const CALLS = Symbol.for("attention-lab.fast-path-calls");

/** How many fast-path ops (linear, layerNorm, attention, embedding, crossEntropy) this process has run so far. */
export function fastPathCalls(): number {
  return ((globalThis as Record<symbol, unknown>)[CALLS] as number | undefined) ?? 0;
}

function counted(): void {
  (globalThis as Record<symbol, unknown>)[CALLS] = fastPathCalls() + 1;
}

function float32(fn: string, arg: string, t: tf.Tensor, rank?: number): void {
  if (!(t instanceof tf.Tensor)) throw new LabInputError(`${fn}: argument "${arg}" must be a tf.Tensor`);
  if (t.dtype !== "float32") throw new LabInputError(`${fn}: argument "${arg}" must be float32, got ${t.dtype} (shape ${fmtShape(t.shape)})`);
  if (rank !== undefined && t.rank !== rank) throw new LabInputError(`${fn}: argument "${arg}" must have rank ${rank}, got shape ${fmtShape(t.shape)}`);
}

function int32(fn: string, arg: string, t: tf.Tensor): void {
  if (!(t instanceof tf.Tensor) || t.dtype !== "int32") {
    throw new LabInputError(`${fn}: argument "${arg}" must be an int32 tf.Tensor, got ${t instanceof tf.Tensor ? `${t.dtype} ${fmtShape(t.shape)}` : typeof t}`);
  }
}

/**
 * Batched matrix product op(a)·op(b): a [..., m, k], b [..., k, n] with the same leading dims,
 * or b 2-D (shared by every matrix of a). Equal to tf.matMul(a, b, transposeA, transposeB).
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const fn = "fast.matMul";
  float32(fn, "a", a);
  float32(fn, "b", b);
  if (a.rank < 2 || b.rank < 2) throw new LabInputError(`${fn}: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must have rank >= 2`);
  const shared = b.rank === 2;
  if (!shared && (a.rank !== b.rank || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i]))) {
    throw new LabInputError(`${fn}: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must have the same leading dims (or b 2-D)`);
  }
  const ka = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (ka !== kb) throw new LabInputError(`${fn}: inner dimensions differ: a ${fmtShape(a.shape)}${transposeA ? "ᵀ" : ""} · b ${fmtShape(b.shape)}${transposeB ? "ᵀ" : ""} (${ka} vs ${kb})`);
  if (!fastAvailable()) return shared && a.rank > 2 ? tf.matMul(a, tf.broadcastTo(b, [...a.shape.slice(0, -2), ...b.shape]), transposeA, transposeB) : tf.matMul(a, b, transposeA, transposeB);
  if (shared && a.rank > 2 && !transposeA) {
    // One big 2-D product instead of a batch of small ones.
    return tf.tidy(() => {
      const rows = tf.reshape(a, [-1, a.shape[a.rank - 1]]);
      const out = labMatMul(rows, b, false, transposeB);
      return tf.reshape(out, [...a.shape.slice(0, -1), out.shape[1] as number]);
    });
  }
  return labMatMul(a, b, transposeA, transposeB);
}

export interface LinearOptions {
  /** Apply relu after the bias. */
  relu?: boolean;
  /** [..., d_out]: added to the result in the same pass (x + Sublayer(x)). */
  residual?: tf.Tensor;
}

/**
 * Dense layer y = x·w + bias (+ residual) (then relu, if asked): x [..., din], w [din, dout],
 * bias [dout]. On wasm the bias, residual and relu are applied inside the matrix product.
 */
export function linear(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor, opts: LinearOptions = {}): tf.Tensor {
  return linearParts(x, [w], bias === undefined ? undefined : [bias], opts);
}

/**
 * Several dense layers of the same input, side by side: [x·w0 + b0 | x·w1 + b1 | …] of shape
 * [..., Σ dout_i] (a fused q|k|v projection, without concatenating the weights). Biases: one per
 * weight, or none; a missing one (undefined) counts as zeros.
 */
export function linearParts(x: tf.Tensor, ws: readonly tf.Tensor[], biases?: readonly (tf.Tensor | undefined)[], opts: LinearOptions = {}): tf.Tensor {
  const fn = "fast.linear";
  counted();
  float32(fn, "x", x);
  if (ws.length < 1 || ws.length > MAX_LINEAR_PARTS) throw new LabInputError(`${fn}: give 1 to ${MAX_LINEAR_PARTS} weight matrices, got ${ws.length}`);
  ws.forEach((w, i) => float32(fn, `w${i}`, w, 2));
  const din = ws[0].shape[0] as number;
  if (x.shape[x.rank - 1] !== din || ws.some((w) => w.shape[0] !== din)) {
    throw new LabInputError(`${fn}: x ${fmtShape(x.shape)} and every weight (${ws.map((w) => fmtShape(w.shape)).join(", ")}) must share d_in = ${x.shape[x.rank - 1]}`);
  }
  const widths = ws.map((w) => w.shape[1] as number);
  const total = widths.reduce((a, b) => a + b, 0);
  const hasBias = biases !== undefined && biases.some((b) => b !== undefined);
  if (biases !== undefined && biases.length !== ws.length) throw new LabInputError(`${fn}: ${biases.length} biases for ${ws.length} weights`);
  biases?.forEach((b, i) => {
    if (b === undefined) return;
    float32(fn, `bias${i}`, b, 1);
    if (b.shape[0] !== widths[i]) throw new LabInputError(`${fn}: bias ${fmtShape(b.shape)} must be [${widths[i]}] for w ${fmtShape(ws[i].shape)}`);
  });
  if (opts.residual !== undefined) {
    float32(fn, "residual", opts.residual);
    if (fmtShape(opts.residual.shape) !== fmtShape([...x.shape.slice(0, -1), total])) {
      throw new LabInputError(`${fn}: residual ${fmtShape(opts.residual.shape)} must be ${fmtShape([...x.shape.slice(0, -1), total])}`);
    }
  }
  const relu = Boolean(opts.relu);
  if (relu && opts.residual) throw new LabInputError(`${fn}: relu and residual together are not supported (relu would apply to the sum)`);
  return tf.tidy(() => {
    const bs = hasBias ? biases!.map((b, i) => b ?? tf.zeros([widths[i]])) : undefined;
    if (fastAvailable()) {
      return runLabKernel(`LabLinear${ws.length}`, linearInputs(x, ws, bs, opts.residual), { parts: ws.length, relu, hasBias }) as tf.Tensor;
    }
    const rows = tf.reshape(x, [-1, din]);
    const w = ws.length === 1 ? ws[0] : tf.concat(ws as tf.Tensor[], 1);
    const b = bs === undefined ? undefined : bs.length === 1 ? bs[0] : tf.concat(bs, 0);
    let y = tf.reshape(tf.matMul(rows, w), [...x.shape.slice(0, -1), total]);
    if (b) y = tf.add(y, b);
    if (opts.residual) y = tf.add(y, opts.residual);
    return relu ? tf.relu(y) : y;
  });
}

/** Layer norm over the last axis: gamma ⊙ (x − mean)/sqrt(var + eps) + beta (biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const fn = "fast.layerNorm";
  counted();
  float32(fn, "x", x);
  float32(fn, "gamma", gamma, 1);
  float32(fn, "beta", beta, 1);
  const d = x.shape[x.rank - 1];
  if (gamma.shape[0] !== d || beta.shape[0] !== d) {
    throw new LabInputError(`${fn}: gamma ${fmtShape(gamma.shape)} and beta ${fmtShape(beta.shape)} must be [${d}] for x ${fmtShape(x.shape)}`);
  }
  return tf.tidy(() => {
    if (!fastAvailable()) return plain.layerNorm(x, gamma, beta, eps);
    const [y] = runLabKernel("LabLayerNorm", { x, gamma, beta }, { eps }) as tf.Tensor[];
    return y;
  });
}

export interface AttentionMaskOptions {
  /** Query i may see keys j ≤ i (aligned at the end when there are more keys than queries). */
  causal?: boolean;
  /** [B, Tk] float32: 1 for a real key, 0 for padding (shared by every head and query). */
  keyValid?: tf.Tensor;
}

export interface FastAttentionResult {
  /** [B, Tq, d]: the heads' outputs side by side (merged), before the output projection. */
  output: tf.Tensor;
  /** [B, h, Tq, Tk] */
  weights: tf.Tensor;
}

/** The same attention in plain tfjs ops: q [B, Tq, d], k, v [B, Tk, d]. */
function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, numHeads: number, opts: AttentionMaskOptions): FastAttentionResult {
  const [b, tq, d] = q.shape as number[];
  const tk = k.shape[1] as number;
  const dh = d / numHeads;
  const heads = (x: tf.Tensor, t: number) => tf.transpose(tf.reshape(x, [b, t, numHeads, dh]), [0, 2, 1, 3]);
  let scores = tf.mul(tf.matMul(heads(q, tq), heads(k, tk), false, true), 1 / Math.sqrt(dh)); // [B, h, Tq, Tk]
  let allowed: tf.Tensor | undefined;
  if (opts.causal) allowed = tf.reshape(tf.linalg.bandPart(tf.ones([tq, tk]), -1, tk - tq), [1, 1, tq, tk]);
  if (opts.keyValid) {
    const kv = tf.reshape(opts.keyValid, [b, 1, 1, tk]);
    allowed = allowed ? tf.mul(allowed, kv) : kv;
  }
  if (allowed) scores = tf.add(tf.mul(scores, allowed), tf.mul(tf.sub(1, allowed), -1e9));
  let weights = tf.softmax(scores);
  if (allowed) weights = tf.mul(weights, allowed);
  const out = tf.matMul(weights, heads(v, tk)); // [B, h, Tq, dh]
  return { output: tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b, tq, d]), weights };
}

/** tf.tidy for a function returning { output, weights }. */
function tidyResult(f: () => FastAttentionResult): FastAttentionResult {
  return tf.tidy(() => f() as unknown as tf.TensorContainer) as unknown as FastAttentionResult;
}

function checkKeyValid(fn: string, keyValid: tf.Tensor | undefined, b: number, tk: number): void {
  if (keyValid === undefined) return;
  float32(fn, "keyValid", keyValid, 2);
  if (keyValid.shape[0] !== b || keyValid.shape[1] !== tk) throw new LabInputError(`${fn}: keyValid ${fmtShape(keyValid.shape)} must be [B, Tk] = [${b},${tk}]`);
}

/**
 * Multi-head self-attention on a fused projection qkv [B, T, 3d] (q, k and v side by side, each
 * split into numHeads heads of d/numHeads columns): softmax(QKᵀ/√dh)V per head, heads merged.
 */
export function selfAttention(qkv: tf.Tensor, numHeads: number, opts: AttentionMaskOptions = {}): FastAttentionResult {
  const fn = "fast.selfAttention";
  counted();
  float32(fn, "qkv", qkv, 3);
  const [b, t, w3] = qkv.shape;
  if (w3 % 3 !== 0 || (w3 / 3) % numHeads !== 0) throw new LabInputError(`${fn}: qkv ${fmtShape(qkv.shape)} must be [B, T, 3d] with d divisible by numHeads = ${numHeads}`);
  checkKeyValid(fn, opts.keyValid, b, t);
  return tidyResult(() => {
    if (!fastAvailable()) {
      const [q, k, v] = tf.split(qkv, 3, 2);
      return plain.attention(q, k, v, numHeads, opts);
    }
    const inputs: Record<string, tf.Tensor> = opts.keyValid ? { qkv, keyValid: opts.keyValid } : { qkv };
    const [output, weights] = runLabKernel("LabSelfAttention", inputs, { numHeads, causal: Boolean(opts.causal) }) as tf.Tensor[];
    return { output, weights };
  });
}

/**
 * Multi-head attention of queries q [B, Tq, d] over keys and values fused in kv [B, Tk, 2d]
 * (k then v): cross-attention, or a decoder step attending over a cache.
 */
export function crossAttention(q: tf.Tensor, kv: tf.Tensor, numHeads: number, opts: AttentionMaskOptions = {}): FastAttentionResult {
  const fn = "fast.crossAttention";
  counted();
  float32(fn, "q", q, 3);
  float32(fn, "kv", kv, 3);
  const [b, , d] = q.shape;
  if (kv.shape[0] !== b || kv.shape[2] !== 2 * d) throw new LabInputError(`${fn}: kv ${fmtShape(kv.shape)} must be [B, Tk, 2d] = [${b}, Tk, ${2 * d}] for q ${fmtShape(q.shape)}`);
  if (d % numHeads !== 0) throw new LabInputError(`${fn}: d = ${d} is not divisible by numHeads = ${numHeads}`);
  checkKeyValid(fn, opts.keyValid, b, kv.shape[1] as number);
  return tidyResult(() => {
    if (!fastAvailable()) {
      const [k, v] = tf.split(kv, 2, 2);
      return plain.attention(q, k, v, numHeads, opts);
    }
    const inputs: Record<string, tf.Tensor> = opts.keyValid ? { q, kv, keyValid: opts.keyValid } : { q, kv };
    const [output, weights] = runLabKernel("LabCrossAttention", inputs, { numHeads, causal: Boolean(opts.causal) }) as tf.Tensor[];
    return { output, weights };
  });
}

/** Embedding lookup: table [V, d], ids int32 [...] → [..., d], with a gradient on wasm. */
export function embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const fn = "fast.embedding";
  counted();
  float32(fn, "table", table, 2);
  int32(fn, "ids", ids);
  const [v, d] = table.shape;
  return tf.tidy(() => {
    const flat = tf.reshape(ids, [-1]);
    const rows = fastAvailable() ? (runLabKernel("LabEmbedding", { table, ids: flat }) as tf.Tensor) : plain.embedding(table, flat);
    return tf.reshape(rows, [...ids.shape, d]);
  });
}

/**
 * Mean cross-entropy of logits [..., V] against int32 targets [...], skipping targets equal to
 * ignoreIndex (padding); 0 when every target is ignored. Targets must lie in [0, V).
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, ignoreIndex = -1): tf.Scalar {
  const fn = "fast.crossEntropy";
  counted();
  float32(fn, "logits", logits);
  int32(fn, "targets", targets);
  const v = logits.shape[logits.rank - 1];
  if (fmtShape(targets.shape) !== fmtShape(logits.shape.slice(0, -1))) {
    throw new LabInputError(`${fn}: targets ${fmtShape(targets.shape)} must have the shape of logits ${fmtShape(logits.shape)} minus its last axis`);
  }
  return tf.tidy(() => {
    const flatLogits = tf.reshape(logits, [-1, v]);
    const flatTargets = tf.reshape(targets, [-1]);
    if (!fastAvailable()) return plain.crossEntropy(flatLogits, flatTargets, ignoreIndex);
    const [loss] = runLabKernel("LabCrossEntropy", { logits: flatLogits, targets: flatTargets }, { ignoreIndex }) as tf.Tensor[];
    return loss as tf.Scalar;
  });
}

/**
 * The GRU recurrence over a whole sequence: input projections xw [B, T, 3H] (x·Wx + bx for every
 * step, gates r | z | n), recurrent weights wh [H, 3H] and bias bh [3H], initial state h0 [B, H],
 * valid [B, T] float32 (1 = a real step; at 0 the state is carried over unchanged) → the states
 * [B, T, H]. On wasm every step runs inside one kernel call, and so does the backward pass
 * through time; elsewhere it is plain.gruRecurrence.
 */
export function gruRecurrence(xw: tf.Tensor, wh: tf.Tensor, bh: tf.Tensor, h0: tf.Tensor, valid: tf.Tensor): tf.Tensor {
  const fn = "fast.gruRecurrence";
  float32(fn, "xw", xw, 3);
  float32(fn, "wh", wh, 2);
  float32(fn, "bh", bh, 1);
  float32(fn, "h0", h0, 2);
  float32(fn, "valid", valid, 2);
  const [b, t, h3] = xw.shape;
  const h = wh.shape[0];
  if (h3 !== 3 * h || wh.shape[1] !== 3 * h || bh.shape[0] !== 3 * h) {
    throw new LabInputError(`${fn}: xw ${fmtShape(xw.shape)}, wh ${fmtShape(wh.shape)} and bh ${fmtShape(bh.shape)} must be [B, T, 3H], [H, 3H] and [3H]`);
  }
  if (h0.shape[0] !== b || h0.shape[1] !== h) throw new LabInputError(`${fn}: h0 ${fmtShape(h0.shape)} must be [B, H] = [${b},${h}]`);
  if (valid.shape[0] !== b || valid.shape[1] !== t) throw new LabInputError(`${fn}: valid ${fmtShape(valid.shape)} must be [B, T] = [${b},${t}]`);
  return tf.tidy(() => {
    if (!fastAvailable()) return plain.gruRecurrence(xw, wh, bh, h0, valid);
    const [states] = runLabKernel("LabGru", { xw, wh, bh, h0, valid }) as tf.Tensor[];
    return states;
  });
}

/**
 * The gradient of a stride-1 "same" convolution from two more forward convolutions (tfjs-wasm can
 * run tf.conv2d but has no kernel for its filter gradient, Conv2DBackpropFilter):
 *   dx = conv2d(dy, the filter turned by 180° with C and F swapped, "same")
 *   dw[a, b, c, f] = Σ over images and pixels of x_padded[·, i + a, j + b, c] · dy[·, i, j, f],
 *        which is conv2d of x_padded (C as the batch, images as channels) with dy as the filter.
 */
const convSame = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor4D;
      const [xs, ws] = saved as tf.Tensor4D[];
      const r = (ws.shape[0] - 1) / 2;
      const flipped = tf.reverse(tf.transpose(ws, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D; // [k, k, F, C]
      const dx = tf.conv2d(g, flipped, 1, "same");
      const xp = tf.transpose(tf.pad(xs, [[0, 0], [r, r], [r, r], [0, 0]]), [3, 1, 2, 0]) as tf.Tensor4D; // [C, H+2r, W+2r, B]
      const dw = tf.transpose(tf.conv2d(xp, tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D, 1, "valid"), [1, 2, 0, 3]); // [k, k, C, F]
      return [dx, dw];
    },
  };
});

/**
 * Stride-1 convolution with "same" (zero) padding, plus bias: x [B, H, W, C], w [k, k, C, F]
 * (tf.conv2d's filter layout, k odd), bias [F] → [B, H, W, F]. Equal to tf.conv2d(x, w, 1,
 * "same") + bias, and differentiable on wasm too (see convSame).
 */
export function conv2d(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const fn = "fast.conv2d";
  float32(fn, "x", x, 4);
  float32(fn, "w", w, 4);
  const [k, k2, c, f] = w.shape;
  if (k !== k2 || k % 2 !== 1) throw new LabInputError(`${fn}: w ${fmtShape(w.shape)} must be [k, k, C, F] with k odd`);
  if (x.shape[3] !== c) throw new LabInputError(`${fn}: x ${fmtShape(x.shape)} must have C = ${c} channels for w ${fmtShape(w.shape)}`);
  if (bias !== undefined) {
    float32(fn, "bias", bias, 1);
    if (bias.shape[0] !== f) throw new LabInputError(`${fn}: bias ${fmtShape(bias.shape)} must be [${f}] for w ${fmtShape(w.shape)}`);
  }
  return tf.tidy(() => {
    const y = tf.getBackend() === "wasm" ? (convSame(x, w) as tf.Tensor) : tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same");
    return bias === undefined ? y : tf.add(y, bias);
  });
}
