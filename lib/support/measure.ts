/**
 * Measuring what a computation costs: the peak tensor memory of a call, its CPU time, and how a
 * cost grows with the input size (the slope on log-log axes). Used by notebook 08, its grader
 * checks and `npm run bench -- efficient`.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs's engine that memory tracking reads (not in the public typings; stable in 3.x and 4.x). */
interface EngineInternals {
  state: { tensorInfo: WeakMap<object, { bytes: number }> };
  trackTensor(t: tf.Tensor, backend: unknown): void;
  disposeTensor(t: tf.Tensor): void;
}

/** What measurePeakMemory found. */
export interface PeakMemory<T> {
  result: T;
  /**
   * The high-water mark of tensor memory during the call, above what was already live when it
   * started: the largest total size of the distinct tensor buffers the call held at once
   * (its intermediates and its result; a reshape shares its input's buffer and is not counted
   * twice). Sampled at every allocation, so no short-lived peak is missed.
   */
  peakBytes: number;
  /** Bytes of the call's buffers still live when it returned (normally just its result). */
  endBytes: number;
  /** Bytes of all the buffers the call made, freed or not: the memory traffic its tensors cost. */
  allocatedBytes: number;
}

/**
 * Runs `f` and measures its peak tensor memory (see PeakMemory.peakBytes). It counts the
 * buffers tfjs knows about: scratch memory a backend kernel allocates for itself, the
 * JavaScript heap and the process as a whole are not included. Calls may nest.
 */
export function measurePeakMemory<T>(f: () => T): PeakMemory<T> {
  const engine = tf.engine() as unknown as EngineInternals;
  const info = () => engine.state.tensorInfo;
  const ownTrack = Object.prototype.hasOwnProperty.call(engine, "trackTensor");
  const ownDispose = Object.prototype.hasOwnProperty.call(engine, "disposeTensor");
  const track = engine.trackTensor;
  const dispose = engine.disposeTensor;
  // The buffers made during the call (by data id) and their sizes; buffers that were live before
  // it (its inputs) are not counted, even when the call frees them.
  const made = new WeakMap<object, number>();
  let live = 0;
  let peak = 0;
  let allocated = 0;
  engine.trackTensor = function (t: tf.Tensor, backend: unknown) {
    const isNew = !info().has(t.dataId);
    track.call(this, t, backend);
    const entry = info().get(t.dataId);
    if (isNew && entry) {
      made.set(t.dataId, entry.bytes);
      live += entry.bytes;
      allocated += entry.bytes;
      if (live > peak) peak = live;
    }
  };
  engine.disposeTensor = function (t: tf.Tensor) {
    const id = t.dataId;
    dispose.call(this, t);
    const bytes = made.get(id);
    if (bytes !== undefined && !info().has(id)) {
      made.delete(id);
      live -= bytes;
    }
  };
  try {
    const result = f();
    return { result, peakBytes: peak, endBytes: live, allocatedBytes: allocated };
  } finally {
    if (ownTrack) engine.trackTensor = track;
    else delete (engine as Partial<EngineInternals>).trackTensor;
    if (ownDispose) engine.disposeTensor = dispose;
    else delete (engine as Partial<EngineInternals>).disposeTensor;
  }
}

/**
 * CPU time of `f` in milliseconds (user + system time of this process, from process.cpuUsage),
 * with its result read back so that the work is really done. On the wasm backend all tensor work
 * runs on this thread, so other programs on the machine slow the wall clock but hardly the CPU
 * time. The result is disposed.
 */
export function cpuTimeMs(f: () => tf.TensorContainer): { cpuMs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = f();
  const tensors = tensorsOf(out);
  for (const t of tensors) t.dataSync();
  const c = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  tf.dispose(tensors);
  return { cpuMs: (c.user + c.system) / 1000, wallMs };
}

function tensorsOf(x: tf.TensorContainer): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap((y) => tensorsOf(y as tf.TensorContainer));
  if (x && typeof x === "object") return Object.values(x).flatMap((y) => tensorsOf(y as tf.TensorContainer));
  return [];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median: no samples");
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A power law y ≈ c·x^slope fitted by least squares on log-log axes. */
export interface PowerFit {
  slope: number;
  /** c: y at x = 1. */
  coefficient: number;
  /** Fraction of the variance of log y the line explains. */
  r2: number;
}

/**
 * Fits y ≈ c·x^slope through the points (least squares on log x, log y): a cost that grows like
 * n² has slope 2, like n slope 1. Needs at least two distinct positive x and positive y.
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerFit {
  if (xs.length !== ys.length || xs.length < 2) throw new Error(`fitPowerLaw: needs at least two (x, y) pairs, got ${xs.length} x and ${ys.length} y`);
  if ([...xs, ...ys].some((v) => !(v > 0) || !Number.isFinite(v))) throw new Error("fitPowerLaw: every x and y must be positive and finite");
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  lx.forEach((x, i) => {
    sxy += (x - mx) * (ly[i] - my);
    sxx += (x - mx) ** 2;
    syy += (ly[i] - my) ** 2;
  });
  if (sxx === 0) throw new Error("fitPowerLaw: the x values must not all be equal");
  const slope = sxy / sxx;
  return { slope, coefficient: Math.exp(my - slope * mx), r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** "12.3 MB", "840 kB", "512 B" (powers of 1000). */
export function fmtBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toPrecision(3)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toPrecision(3)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toPrecision(3)} kB`;
  return `${Math.round(bytes)} B`;
}
