/**
 * Gradients across the process boundary, in both directions: the judge's tf.grads through a
 * student function that runs in the sandbox (client.ts), and the sandbox's tf.grads through a
 * reference building block that runs in the judge (runner.ts, when cause finding swaps one in).
 * Values cross as data, so the other side's part of the graph is joined with tf.customGrad: the
 * forward pass asks the other process for the result, the backward pass asks it for the
 * vector-Jacobian product (the gradients of sum_i <output_i, dy_i> with respect to the inputs).
 * customGrad takes one output tensor, so the result's float tensors travel through it flattened
 * and concatenated, and are cut back into their shapes after it. Used by the runner too (it is
 * staged with it), so it imports tfjs only.
 */
import * as tf from "@tensorflow/tfjs";

/** Every tensor in a value, in a fixed walk order (the same on both sides, and as builders.ts walks). */
export function tensorsIn(x: unknown, seen = new Set<unknown>()): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (x === null || typeof x !== "object" || seen.has(x)) return [];
  seen.add(x);
  return (Array.isArray(x) ? x : Object.values(x)).flatMap((v) => tensorsIn(v, seen));
}

/**
 * `forward()`'s result, joined to the caller's gradient tape as a function of the tensors in
 * `args`: the backward pass calls `backward(dys, saved)` with one upstream gradient per tensor of
 * the result (in tensorsIn order; null for one that is not float32) and `args` with its tensors
 * replaced by copies tfjs kept for the backward pass (the caller's own may be disposed by then,
 * e.g. intermediates of a tf.tidy in student code); it must return one gradient per input tensor.
 */
export function bridgeGradients(args: readonly unknown[], forward: () => unknown, backward: (dys: (tf.Tensor | null)[], saved: unknown[]) => tf.Tensor[]): unknown {
  const inputs = tensorsIn(args);
  let result: unknown;
  let floats: tf.Tensor[] = [];
  let all: tf.Tensor[] = [];
  const joinedFn = tf.customGrad(((...xs: unknown[]) => {
    const save = xs[xs.length - 1] as (ts: tf.Tensor[]) => void;
    save(inputs);
    result = forward();
    all = tensorsIn(result);
    floats = all.filter((t) => t.dtype === "float32" && !t.isDisposed);
    const value = floats.length === 0 ? tf.scalar(0) : tf.concat(floats.map((t) => tf.reshape(t, [-1])));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const parts = floats.length === 0 ? [] : floats.length === 1 ? [dy] : tf.split(dy, floats.map((t) => t.size));
        const dys = all.map((t) => {
          const i = floats.indexOf(t);
          return i < 0 ? null : tf.reshape(parts[i], t.shape);
        });
        return backward(dys, replaceTensors(args, new Map(inputs.map((t, i) => [t, saved[i]]))) as unknown[]);
      },
    };
  }) as never) as unknown as (...xs: tf.Tensor[]) => tf.Tensor;
  const joined = joinedFn(...inputs);
  if (floats.length === 0) return result;
  // One float result (a loss): no split, because tfjs's gradient of a one-output Split hands
  // concat a single tensor instead of a list ("Pass at least one tensor to concat").
  const pieces = floats.length === 1 ? [tf.reshape(joined, floats[0].shape)] : tf.split(joined, floats.map((t) => t.size)).map((p, i) => tf.reshape(p, floats[i].shape));
  return replaceTensors(result, new Map(floats.map((t, i) => [t, pieces[i]])));
}

/** A copy of a value's arrays and plain objects with some tensors replaced (the rest shared). */
function replaceTensors(x: unknown, by: ReadonlyMap<tf.Tensor, tf.Tensor>, seen = new Map<unknown, unknown>()): unknown {
  if (x instanceof tf.Tensor) return by.get(x) ?? x;
  if (x === null || typeof x !== "object") return x;
  if (seen.has(x)) return seen.get(x);
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    seen.set(x, out);
    for (const v of x) out.push(replaceTensors(v, by, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(x, out);
  for (const [k, v] of Object.entries(x)) out[k] = replaceTensors(v, by, seen);
  return out;
}

/** The loss whose gradients are a vector-Jacobian product: sum_i <output_i, dy_i> over `f()`'s tensors. */
export function vjpLoss(f: () => unknown, dys: readonly (tf.Tensor | null)[]): () => tf.Scalar {
  return () => {
    const outs = tensorsIn(f());
    if (outs.length === 0) throw new Error("the output is not a tensor");
    let total: tf.Tensor = tf.scalar(0);
    outs.forEach((o, i) => {
      const dy = dys[i];
      if (dy) total = tf.add(total, tf.sum(tf.mul(o, dy)));
    });
    return total as tf.Scalar;
  };
}

/**
 * Runs `f` (which calls tf.grads) as if no gradient were being computed, and then puts the
 * engine's tape back. The judge serves a swapped block's backward pass while its own tf.grads is
 * back-propagating through the sandboxed function; a tf.grads started then would take the
 * engine's tape for its own and drop it when done (tfjs keeps one tape, and starts a new one
 * whenever no forward pass is recording), so the outer backward pass would fail at its end.
 */
export function outsideTape<T>(f: () => T): T {
  const state = tf.engine().state as unknown as { activeTape: unknown; gradientDepth: number };
  const tape = state.activeTape;
  const depth = state.gradientDepth;
  state.activeTape = null;
  state.gradientDepth = 0;
  try {
    return f();
  } finally {
    state.activeTape = tape;
    state.gradientDepth = depth;
  }
}
