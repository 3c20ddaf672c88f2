/**
 * Training helpers shared by every notebook that trains a model: parameters, embeddings that
 * train on the wasm backend, the losses, and one training loop with a live loss curve.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "./checks";
import { AdamW } from "./fast/adam";
import { lines, livePlot } from "./plot";

/** A trainable [fanIn, fanOut] matrix, Glorot-normal initialised from `seed` (non-zero). */
export function glorot(shape: [number, number], seed: number, name?: string): tf.Variable {
  if (!Number.isInteger(seed) || seed === 0) throw new Error(`glorot: seed must be a non-zero integer, got ${seed}`);
  const std = Math.sqrt(2 / (shape[0] + shape[1]));
  // tidy: tf.variable keeps its own reference to the initial values, so the initial tensor can go
  // (left alive, it would be one extra tensor per variable that nothing can ever dispose).
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, "float32", seed), true, name));
}

/** A trainable tensor of zeros (biases, layer-norm beta). */
export function zerosVar(shape: number[], name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape), true, name));
}

/** A trainable tensor of ones (layer-norm gamma). */
export function onesVar(shape: number[], name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.ones(shape), true, name));
}

/**
 * Embedding lookup, table [V, d] and integer ids [...] → [..., d], written as one-hot × table.
 * tf.gather would be the obvious choice, but its gradient needs a kernel the wasm backend lacks
 * (UnsortedSegmentSum), so it cannot be trained there; this form trains on every backend.
 */
export function embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  if (table.rank !== 2) throw new LabInputError(`embed: table must be [V, d], got ${fmtShape(table.shape)}`);
  if (ids.dtype !== "int32") throw new LabInputError(`embed: ids must be int32, got ${ids.dtype} (shape ${fmtShape(ids.shape)})`);
  const [v, d] = table.shape as [number, number];
  return tf.tidy(() => {
    const flat = tf.oneHot(tf.reshape(ids, [-1]), v); // [N, V]
    return tf.reshape(tf.matMul(flat, table), [...ids.shape, d]);
  });
}

/**
 * Mean cross-entropy of logits [..., V] against integer targets [...], skipping positions whose
 * target equals `ignoreIndex` (padding). Returns a scalar.
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, ignoreIndex?: number): tf.Scalar {
  const v = logits.shape[logits.rank - 1];
  if (targets.dtype !== "int32" || fmtShape(targets.shape) !== fmtShape(logits.shape.slice(0, -1))) {
    throw new LabInputError(`crossEntropy: targets ${fmtShape(targets.shape)} (${targets.dtype}) must be int32 with the shape of logits ${fmtShape(logits.shape)} minus its last axis`);
  }
  return tf.tidy(() => {
    const flatLogits = tf.reshape(logits, [-1, v]);
    const flatTargets = tf.reshape(targets, [-1]);
    const logp = tf.logSoftmax(flatLogits); // [N, V]
    const picked = tf.sum(tf.mul(logp, tf.oneHot(flatTargets, v)), -1); // [N]
    const keep = ignoreIndex === undefined ? tf.onesLike(picked) : tf.cast(tf.notEqual(flatTargets, ignoreIndex), "float32");
    return tf.div(tf.neg(tf.sum(tf.mul(picked, keep))), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
  });
}

/** Fraction of positions whose arg-max logit equals the target (ignoring `ignoreIndex`). */
export function accuracy(logits: tf.Tensor, targets: tf.Tensor, ignoreIndex?: number): number {
  return tf.tidy(() => {
    const hit = tf.cast(tf.equal(tf.argMax(logits, -1), targets), "float32");
    const keep = ignoreIndex === undefined ? tf.onesLike(hit) : tf.cast(tf.notEqual(targets, ignoreIndex), "float32");
    return tf.sum(tf.mul(hit, keep)).dataSync()[0] / Math.max(tf.sum(keep).dataSync()[0], 1);
  });
}

/**
 * A learning-rate schedule for trainLoop: a linear warm-up from peak/warmup to `peak` over the
 * first `warmup` steps, then a cosine decay to 0 at step `total`.
 */
export function warmupCosine(peak: number, warmup: number, total: number): (step: number) => number {
  if (!(peak > 0) || !Number.isInteger(warmup) || warmup < 0 || !Number.isInteger(total) || total <= warmup) {
    throw new LabInputError(`warmupCosine: need peak > 0 and integers 0 <= warmup < total, got peak ${peak}, warmup ${warmup}, total ${total}`);
  }
  return (step) => {
    if (step <= warmup) return (peak * step) / warmup;
    const t = Math.min(1, (step - warmup) / (total - warmup));
    return 0.5 * peak * (1 + Math.cos(Math.PI * t));
  };
}

export interface TrainOptions {
  /** Most steps to take. */
  steps: number;
  /** Learning rate (default 1e-3), or a schedule: the rate for step 1, 2, …. */
  learningRate?: number | ((step: number) => number);
  /**
   * "adam": tfjs's tf.train.adam (the default; trains any differentiable code, e.g. your own
   * lib/ functions). "adamw": the fast path's AdamW (lib/support/fast/adam.ts), PyTorch's update
   * rule with decoupled weight decay, one kernel per variable on wasm.
   */
  optimizer?: "adam" | "adamw";
  /** AdamW's weight decay (default 0.01, PyTorch's). */
  weightDecay?: number;
  /** Stop after this many seconds of training (evaluation time included), even before `steps`. */
  timeBudgetSeconds?: number;
  /**
   * What `seconds` (budget, history, caption) measures: "wall" time (the default), or this
   * process's "cpu" time, which other programs on a shared machine do not inflate (training runs
   * on one thread, so on an idle machine the two agree).
   */
  clock?: "wall" | "cpu";
  /** Redraw the loss curve (and call onLog / evaluate) every this many steps (default 10). */
  logEvery?: number;
  /** Title of the live loss plot. */
  title?: string;
  /** Extra figures for the caption at each log step, e.g. validation accuracy. */
  onLog?: (step: number, loss: number) => string | void;
  /**
   * Measurements at log steps (e.g. { "validation loss": 2.31 }): drawn as extra curves on the
   * live plot (one per key) and kept in the result's history.
   */
  evaluate?: (step: number) => Record<string, number>;
  /** Stop early once this returns true (checked at log steps). */
  stopWhen?: (step: number, loss: number) => boolean;
}

export interface HistoryPoint {
  step: number;
  /** Seconds of training so far (by the chosen clock). */
  seconds: number;
  /** Training loss at this step. */
  loss: number;
  /** What `evaluate` returned at this step. */
  metrics: Record<string, number>;
}

export interface TrainResult {
  losses: number[];
  steps: number;
  seconds: number;
  /** One point per log step. */
  history: HistoryPoint[];
}

/**
 * Minimises loss(step) over `variables` with Adam (or the fast AdamW), showing a live loss curve
 * in the notebook (a progress line elsewhere). loss(step) builds the batch for that step
 * (seeded, so runs are repeatable) and returns a scalar; tensors it makes are freed every step.
 */
export async function trainLoop(variables: tf.Variable[], loss: (step: number) => tf.Scalar, opts: TrainOptions): Promise<TrainResult> {
  const rate = typeof opts.learningRate === "function" ? opts.learningRate : () => (opts.learningRate as number | undefined) ?? 1e-3;
  const firstRate = rate(1);
  const fast = opts.optimizer === "adamw" ? new AdamW(variables, { learningRate: firstRate, weightDecay: opts.weightDecay }) : undefined;
  const adam = fast ? undefined : tf.train.adam(firstRate);
  const logEvery = opts.logEvery ?? 10;
  const plot = livePlot();
  const losses: number[] = [];
  const history: HistoryPoint[] = [];
  const curves = new Map<string, { x: number[]; y: number[] }>();
  const now = opts.clock === "cpu" ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; } : () => Date.now() / 1000;
  const started = now();
  const elapsed = () => now() - started;
  let step = 0;
  let taken = 0;
  try {
    for (step = 1; step <= opts.steps; step++) {
      const lr = step === 1 ? firstRate : rate(step);
      let value: number;
      if (fast) {
        fast.learningRate = lr;
        value = fast.step(() => loss(step));
      } else {
        (adam as unknown as { learningRate: number }).learningRate = lr;
        value = tf.tidy(() => {
          const l = adam!.minimize(() => loss(step), true, variables);
          return l!.dataSync()[0];
        });
      }
      if (!Number.isFinite(value)) throw new Error(`trainLoop: the loss became ${value} at step ${step}; lower the learning rate`);
      losses.push(value);
      taken = step;
      const outOfTime = opts.timeBudgetSeconds !== undefined && elapsed() >= opts.timeBudgetSeconds;
      if (step % logEvery === 0 || step === opts.steps || outOfTime) {
        const metrics = opts.evaluate?.(step) ?? {};
        const seconds = elapsed();
        history.push({ step, seconds, loss: value, metrics });
        for (const [k, v] of Object.entries(metrics)) {
          const c = curves.get(k) ?? { x: [], y: [] };
          c.x.push(step);
          c.y.push(v);
          curves.set(k, c);
        }
        const shown = Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join("  ");
        const extra = [shown, opts.onLog?.(step, value) ?? ""].filter((t) => t !== "").join("  ");
        const caption = `step ${step}/${opts.steps}  loss ${value.toFixed(4)}  ${seconds.toFixed(1)} s${extra ? "  " + extra : ""}`;
        const series = [{ name: "training loss", y: losses, mode: "lines" as const }, ...[...curves].map(([name, c]) => ({ name, x: c.x, y: c.y, mode: "lines+markers" as const }))];
        plot.update(lines(series, { title: opts.title ?? "Training loss", xTitle: "step", yTitle: "loss", logY: true, height: 320 }), caption);
        if (outOfTime || opts.stopWhen?.(step, value)) break;
        await new Promise((r) => setImmediate(r)); // let the kernel deliver the update and interrupts
      }
    }
  } finally {
    adam?.dispose();
    fast?.dispose();
  }
  return { losses, steps: taken, seconds: elapsed(), history };
}
