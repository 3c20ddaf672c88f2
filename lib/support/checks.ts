/**
 * Input checks shared by lib/ and solutions/. Every error names the function, the argument
 * and the shapes or values involved, so a student never has to decode a tfjs internal message.
 */
import * as tf from "@tensorflow/tfjs";

export class LabInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabInputError";
  }
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === "object") return `an object (${(x as object).constructor?.name ?? "Object"})`;
  return `${typeof x} ${String(x)}`;
}

export interface TensorSpec {
  /** Exact rank. */
  rank?: number;
  /** Smallest allowed rank. */
  minRank?: number;
  /** Allowed dtypes (default: any numeric dtype, i.e. not string/complex). */
  dtypes?: readonly tf.DataType[];
  /** Shape pattern for messages, e.g. "[..., Tq, dk]". */
  pattern?: string;
}

/** Throws a LabInputError unless `x` is a live tf.Tensor meeting `spec`. */
export function requireTensor(fn: string, arg: string, x: unknown, spec: TensorSpec = {}): tf.Tensor {
  const where = `${fn}: argument "${arg}"${spec.pattern ? ` ${spec.pattern}` : ""}`;
  if (!(x instanceof tf.Tensor)) {
    throw new LabInputError(`${where} must be a tf.Tensor, got ${describe(x)}`);
  }
  if (x.isDisposed) {
    throw new LabInputError(`${where} was already disposed (shape ${fmtShape(x.shape)}); keep it alive until ${fn} returns`);
  }
  const dtypes = spec.dtypes ?? ["float32", "int32", "bool"];
  if (!dtypes.includes(x.dtype)) {
    throw new LabInputError(
      `${where} must have dtype ${dtypes.join(" or ")}, got ${x.dtype} (shape ${fmtShape(x.shape)})` +
        (dtypes.includes("float32") ? `; convert with tf.cast(${arg}, "float32")` : ""),
    );
  }
  if (spec.rank !== undefined && x.rank !== spec.rank) {
    throw new LabInputError(`${where} must have rank ${spec.rank}, got shape ${fmtShape(x.shape)} (rank ${x.rank})`);
  }
  if (spec.minRank !== undefined && x.rank < spec.minRank) {
    throw new LabInputError(`${where} must have rank >= ${spec.minRank}, got shape ${fmtShape(x.shape)} (rank ${x.rank})`);
  }
  return x;
}

/** Throws unless `n` is an integer in [min, max]. */
export function requireInt(fn: string, arg: string, n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new LabInputError(`${fn}: argument "${arg}" must be an integer ${range}, got ${describe(n)}`);
  }
  return n;
}

/** Throws unless `shape` broadcasts to exactly `target` (it may not grow the target). */
export function requireBroadcastsTo(
  fn: string,
  arg: string,
  shape: readonly number[],
  target: readonly number[],
  targetName: string,
): void {
  const ok =
    shape.length <= target.length &&
    shape.every((d, i) => d === 1 || d === target[target.length - shape.length + i]);
  if (!ok) {
    throw new LabInputError(
      `${fn}: ${arg} ${fmtShape(shape)} does not broadcast to ${targetName} ${fmtShape(target)}`,
    );
  }
}

/**
 * Runs `f` (a building block called by `fn`) and prefixes any LabInputError with `fn` and the
 * part, so an encoder layer's bad gamma reads "encoderLayer (params.norm1): layerNorm: ...".
 */
export function within<T>(fn: string, part: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LabInputError) throw new LabInputError(`${fn} (${part}): ${e.message}`);
    throw e;
  }
}

/** The sizes of attention inputs q [..., Tq, dk], k [..., Tk, dk], v [..., Tk, dv]. */
export interface AttentionSizes {
  /** The leading (batch, head) dimensions, the same for q, k and v. */
  batch: number[];
  tq: number;
  tk: number;
  dk: number;
  dv: number;
}

/**
 * Checks attention inputs q [..., Tq, dk], k [..., Tk, dk], v [..., Tk, dv] (float32, the same
 * leading dims) and returns their sizes; errors name `fn`, the argument and the shapes.
 */
export function requireAttentionInputs(fn: string, q: unknown, k: unknown, v: unknown): AttentionSizes {
  requireTensor(fn, "q", q, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tq, dk]" });
  requireTensor(fn, "k", k, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tk, dk]" });
  requireTensor(fn, "v", v, { minRank: 2, dtypes: ["float32"], pattern: "[..., Tk, dv]" });
  const [qt, kt, vt] = [q, k, v] as tf.Tensor[];
  const batch = qt.shape.slice(0, -2);
  const sameBatch = (t: tf.Tensor) => t.rank === qt.rank && t.shape.slice(0, -2).every((d, i) => d === batch[i]);
  const [tq, dk] = qt.shape.slice(-2);
  const [tk, dkK] = kt.shape.slice(-2);
  if (!sameBatch(kt) || dkK !== dk) {
    throw new LabInputError(`${fn}: q ${fmtShape(qt.shape)} and k ${fmtShape(kt.shape)} must have the same leading dimensions and the same last dimension d_k`);
  }
  if (!sameBatch(vt) || vt.shape[vt.rank - 2] !== tk) {
    throw new LabInputError(`${fn}: v ${fmtShape(vt.shape)} must be [..., Tk, dv] with the leading dimensions of q ${fmtShape(qt.shape)} and Tk = ${tk} from k ${fmtShape(kt.shape)}`);
  }
  return { batch, tq, tk, dk, dv: vt.shape[vt.rank - 1] };
}

/** Throws unless `x` is a plain options object (not null, not an array, not a tensor). */
export function requireOptions(fn: string, arg: string, x: unknown): Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x) || x instanceof tf.Tensor) {
    throw new LabInputError(`${fn}: argument "${arg}" must be an options object, got ${describe(x)}`);
  }
  return x as Record<string, unknown>;
}
