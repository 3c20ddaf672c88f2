/**
 * The values that cross the sandbox boundary, as JSON: the grader (the "judge", trusted) sends a
 * student function its arguments, the sandbox (the student's process) sends back what the
 * function returned or threw. Used by both sides (client.ts in the judge, runner.ts in the
 * sandbox), so it depends on nothing but tfjs and Node.
 *
 * Identity survives the crossing, because the contract checks depend on it: every tensor, array
 * and object that crosses gets an id (positive when the judge made it, negative when the sandbox
 * did), and both sides keep the objects they have seen by id. A tensor the other side already
 * holds crosses as its id alone; a result that is one of the inputs, or the same tensor an
 * earlier call returned, comes back as that id, so the judge sees the very same object.
 *
 * Decoding never trusts its input: shapes, dtypes, sizes, nesting and keys are checked, and a
 * malformed message is a ProtocolError (the judge treats it as the submission's crash).
 */
import * as tf from "@tensorflow/tfjs";

export type Enc =
  | ["u"]
  | ["z", null | boolean | string]
  | ["n", number | "NaN" | "Infinity" | "-Infinity" | "-0"]
  | ["I", string]
  /** tensor: id, shape, dtype, base64 data (null: the receiver holds it already, or it is disposed), disposed */
  | ["T", number, number[], string, string | null, boolean]
  | ["A", number, Enc[]]
  | ["O", number, [string, Enc][]]
  /** an object or tensor the receiver already holds (or seen earlier in this message) */
  | ["R", number]
  /** a function of the judge's (a callback the sandbox may call) */
  | ["F", number]
  /** a typed array, by value */
  | ["B", string, string]
  | ["P"]
  /** something that cannot cross (a function of the student's, a symbol, …), described */
  | ["X", string];

/** A thrown value, as it crosses. */
export interface EncError {
  /** An Error (or subclass) rather than a thrown string, number or object. */
  isError: boolean;
  name: string;
  message: string;
  /** Node's error code (ERR_ACCESS_DENIED when the permission model refused something). */
  code?: string;
  /** What the permission model refused (a path, "ChildProcess", …). */
  resource?: string;
  permission?: string;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export const LIMITS = {
  /** Nesting depth of one value. */
  depth: 64,
  /** Arrays, objects and tensors in one value. */
  nodes: 200_000,
  /** Tensor elements in one message. */
  elements: 20_000_000,
  /** Characters of one string. */
  string: 100_000,
  /** Dimensions of one tensor. */
  rank: 12,
};

const DTYPES = new Set(["float32", "int32", "bool"]);

/** Typed-array kinds that may cross by value. */
const TYPED: Record<string, { new (b: ArrayBuffer, o?: number, n?: number): ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }; BYTES_PER_ELEMENT: number }> = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Uint8ClampedArray,
};

function bytesOf(a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): string {
  return Buffer.from(a.buffer as ArrayBuffer, a.byteOffset, a.byteLength).toString("base64");
}

function typedFrom(kind: string, b64: string, expectLength?: number): ArrayLike<number> {
  const Ctor = TYPED[kind];
  if (!Ctor) throw new ProtocolError(`unknown typed array kind ${kind}`);
  const buf = Buffer.from(b64, "base64");
  if (buf.length % Ctor.BYTES_PER_ELEMENT !== 0) throw new ProtocolError("typed array data of a wrong length");
  const copy = new ArrayBuffer(buf.length);
  new Uint8Array(copy).set(buf);
  const out = new Ctor(copy);
  if (expectLength !== undefined && out.length !== expectLength) throw new ProtocolError(`tensor data holds ${out.length} values, its shape says ${expectLength}`);
  return out;
}

function encodeNumber(x: number): Enc {
  if (Number.isNaN(x)) return ["n", "NaN"];
  if (x === Infinity) return ["n", "Infinity"];
  if (x === -Infinity) return ["n", "-Infinity"];
  if (Object.is(x, -0)) return ["n", "-0"];
  return ["n", x];
}

function decodeNumber(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === "-0") return -0;
  throw new ProtocolError("a malformed number");
}

/** Data of a tensor, base64 (float32 / int32 / bool as Uint8). */
export function tensorData(t: tf.Tensor): string {
  const d = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (d.length !== n) throw new Error(`a tensor of shape [${t.shape.join(",")}] holds ${d.length} values`);
  if (t.dtype === "bool") return bytesOf(Uint8Array.from(d as ArrayLike<number>));
  if (t.dtype === "int32") return bytesOf(d instanceof Int32Array ? d : Int32Array.from(d as ArrayLike<number>));
  return bytesOf(d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>));
}

/** A tensor made from crossed data, or a disposed one with that shape and dtype when it crossed disposed. */
export function makeTensor(shape: unknown, dtype: unknown, data: string | null, disposed: boolean): tf.Tensor {
  if (!Array.isArray(shape) || shape.length > LIMITS.rank || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 1e8)) {
    throw new ProtocolError("a tensor with a malformed shape");
  }
  if (typeof dtype !== "string" || !DTYPES.has(dtype)) throw new ProtocolError(`a tensor of dtype ${String(dtype).slice(0, 20)}`);
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (n > LIMITS.elements) throw new ProtocolError("a tensor too large to check");
  let values: ArrayLike<number>;
  if (data === null) values = dtype === "int32" ? new Int32Array(n) : dtype === "bool" ? new Uint8Array(n) : new Float32Array(n);
  else values = typedFrom(dtype === "float32" ? "Float32Array" : dtype === "int32" ? "Int32Array" : "Uint8Array", data, n);
  const t = tf.tensor(values as Float32Array, shape as number[], dtype as tf.DataType);
  if (disposed) t.dispose();
  return t;
}

/** Objects and tensors one side has seen, by id. */
export class Registry {
  readonly byId = new Map<number, object>();
  readonly ids = new WeakMap<object, number>();
  private next = 0;
  constructor(private readonly sign: 1 | -1) {}
  /** The id of `o`, registering it with a new id of this side when it has none. */
  idFor(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.sign * ++this.next;
      this.ids.set(o, id);
      this.byId.set(id, o);
    }
    return id;
  }
  register(id: number, o: object): void {
    this.byId.set(id, o);
    this.ids.set(o, id);
  }
  forget(id: number): void {
    const o = this.byId.get(id);
    this.byId.delete(id);
    if (o) this.ids.delete(o);
  }
  /** True when `id` was made by this side. */
  own(id: number): boolean {
    return Math.sign(id) === this.sign;
  }
}

/** Defines a field without triggering setters (a key "__proto__" stays a plain field). */
export function setField(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

export interface DecodeOptions {
  reg: Registry;
  /** A tensor that crossed with its data: register and return it (the judge tracks it, the sandbox keeps it). */
  onTensor: (id: number, t: tf.Tensor) => void;
  /** A function of the judge's, for the sandbox: a stub that calls it back. */
  fn?: (id: number) => unknown;
  /** An existing object of the receiver's with new contents: update it in place (the judge's args in the sandbox). */
  updateInPlace?: boolean;
  /** Called for every object decoded from the peer's ids (the sandbox snapshots the judge's objects). */
  onObject?: (id: number, o: object) => void;
}

/** Decodes `e`, resolving ids through the registry. Throws ProtocolError on anything malformed. */
export function decode(e: unknown, o: DecodeOptions): unknown {
  let nodes = 0;
  let elements = 0;
  const walk = (x: unknown, depth: number): unknown => {
    if (depth > LIMITS.depth) throw new ProtocolError("a value nested too deeply");
    if (!Array.isArray(x) || typeof x[0] !== "string") throw new ProtocolError("a malformed value");
    switch (x[0]) {
      case "u":
        return undefined;
      case "z": {
        const v = x[1];
        if (v !== null && typeof v !== "boolean" && typeof v !== "string") throw new ProtocolError("a malformed primitive");
        if (typeof v === "string" && v.length > LIMITS.string) throw new ProtocolError("a string too long");
        return v;
      }
      case "n":
        return decodeNumber(x[1]);
      case "I": {
        if (typeof x[1] !== "string" || !/^-?\d{1,400}$/.test(x[1])) throw new ProtocolError("a malformed bigint");
        return BigInt(x[1]);
      }
      case "T": {
        const [, id, shape, dtype, data, disposed] = x as [string, unknown, unknown, unknown, unknown, unknown];
        if (!Number.isInteger(id) || id === 0) throw new ProtocolError("a tensor without an id");
        if (++nodes > LIMITS.nodes) throw new ProtocolError("a value too large");
        const known = o.reg.byId.get(id as number);
        if (data === null && !disposed) {
          if (!(known instanceof tf.Tensor)) throw new ProtocolError(`tensor ${String(id)} is unknown here`);
          return known;
        }
        if (known instanceof tf.Tensor) return known;
        if (data !== null && typeof data !== "string") throw new ProtocolError("malformed tensor data");
        if (Array.isArray(shape)) elements += (shape as number[]).reduce((a, b) => a * (Number(b) || 0), 1);
        if (elements > LIMITS.elements) throw new ProtocolError("a message too large to check");
        const t = makeTensor(shape, dtype, data as string | null, Boolean(disposed));
        o.reg.register(id as number, t);
        o.onTensor(id as number, t);
        return t;
      }
      case "R": {
        const known = o.reg.byId.get(x[1] as number);
        if (known === undefined) throw new ProtocolError(`object ${String(x[1])} is unknown here`);
        return known;
      }
      case "A":
      case "O": {
        const [, id, items] = x as [string, unknown, unknown];
        if (!Number.isInteger(id) || id === 0 || !Array.isArray(items)) throw new ProtocolError("a malformed array or object");
        if (++nodes > LIMITS.nodes) throw new ProtocolError("a value too large");
        const known = o.reg.byId.get(id as number);
        const isArray = x[0] === "A";
        let target: Record<string, unknown> | unknown[];
        if (known !== undefined && !o.updateInPlace) {
          // Seen earlier in this message (a cycle or a shared object), or one of ours: keep identity.
          return known;
        }
        if (known !== undefined) {
          if (isArray !== Array.isArray(known)) throw new ProtocolError(`object ${String(id)} changed kind`);
          target = known as Record<string, unknown>;
        } else {
          target = isArray ? [] : {};
          o.reg.register(id as number, target as object);
        }
        if (isArray) {
          const arr = target as unknown[];
          const values = (items as unknown[]).map((it) => walk(it, depth + 1));
          arr.length = values.length;
          values.forEach((v, i) => (arr[i] = v));
        } else {
          const obj = target as Record<string, unknown>;
          const entries = (items as unknown[]).map((kv) => {
            if (!Array.isArray(kv) || typeof kv[0] !== "string" || kv[0].length > 1000) throw new ProtocolError("a malformed field");
            return [kv[0], walk(kv[1], depth + 1)] as const;
          });
          const keep = new Set(entries.map(([k]) => k));
          for (const k of Object.keys(obj)) if (!keep.has(k)) delete obj[k];
          for (const [k, v] of entries) setField(obj, k, v);
        }
        if (!o.reg.own(id as number)) o.onObject?.(id as number, target as object);
        return target;
      }
      case "F": {
        if (!o.fn) throw new ProtocolError("a function where none may cross");
        return o.fn(x[1] as number);
      }
      case "B": {
        if (typeof x[1] !== "string" || typeof x[2] !== "string") throw new ProtocolError("a malformed typed array");
        const a = typedFrom(x[1], x[2]);
        elements += a.length;
        if (elements > LIMITS.elements) throw new ProtocolError("a message too large to check");
        return a;
      }
      case "P":
        return new Promise(() => undefined); // never settles: the check reports "a Promise"
      case "X": {
        const what = typeof x[1] === "string" ? x[1].slice(0, 200) : "something";
        return opaque(what);
      }
      default:
        throw new ProtocolError(`a value of unknown kind ${String(x[0]).slice(0, 10)}`);
    }
  };
  return walk(e, 0);
}

/** What stands in, on the judge's side, for a function or symbol the student's code returned. */
export function opaque(what: string): unknown {
  if (what === "symbol") return Symbol("from the submission");
  const f = function fromSubmission(): never {
    throw new Error(`cannot call ${what} returned by the submission`);
  };
  Object.defineProperty(f, "toString", { value: () => `[${what} from the submission]` });
  return f;
}

export interface EncodeOptions {
  reg: Registry;
  /** Whether the receiver holds the tensor with this id alive (then only the id crosses). */
  receiverHas: (id: number) => boolean;
  /** A tensor crossed with its data (the sender now knows the receiver holds it). */
  onSent?: (id: number, t: tf.Tensor) => void;
  /** A function (judge side: register it as a callback; sandbox side: undefined, functions become opaque). */
  fn?: (f: Function) => number;
  /** Objects of the receiver's: send only their id (the sandbox returning the judge's own objects). */
  refOnly?: (id: number) => boolean;
}

/** Encodes `value`. Reading it may run the student's code (getters): the sandbox calls this under its watchdog. */
export function encode(value: unknown, o: EncodeOptions): Enc {
  const seen = new Set<object>();
  let nodes = 0;
  let elements = 0;
  const walk = (x: unknown, depth: number): Enc => {
    if (depth > LIMITS.depth) throw new Error("the value is nested too deeply to check");
    if (x === undefined) return ["u"];
    if (x === null || typeof x === "boolean") return ["z", x];
    if (typeof x === "string") return ["z", x.length > LIMITS.string ? `${x.slice(0, LIMITS.string)}…` : x];
    if (typeof x === "number") return encodeNumber(x);
    if (typeof x === "bigint") return ["I", x.toString()];
    if (typeof x === "symbol") return ["X", "symbol"];
    if (typeof x === "function") {
      if (o.fn) return ["F", o.fn(x)];
      return ["X", "a function"];
    }
    const obj = x as object;
    if (++nodes > LIMITS.nodes) throw new Error("the value is too large to check");
    if (obj instanceof tf.Tensor) {
      const known = o.reg.ids.get(obj);
      if (known !== undefined && (o.receiverHas(known) || o.refOnly?.(known))) return ["R", known];
      const id = o.reg.idFor(obj);
      const disposed = obj.isDisposed;
      const shape = [...obj.shape];
      elements += shape.reduce((a, b) => a * b, 1);
      if (elements > LIMITS.elements) throw new Error("the value holds too many numbers to check");
      const enc: Enc = ["T", id, shape, obj.dtype, disposed ? null : tensorData(obj), disposed];
      if (!disposed) o.onSent?.(id, obj);
      return enc;
    }
    const known = o.reg.ids.get(obj);
    if (seen.has(obj) || (known !== undefined && o.refOnly?.(known))) return ["R", o.reg.idFor(obj)];
    seen.add(obj);
    if (obj instanceof Promise) return ["P"];
    if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
      const kind = obj.constructor?.name;
      if (kind && TYPED[kind]) {
        elements += (obj as unknown as ArrayLike<number>).length;
        if (elements > LIMITS.elements) throw new Error("the value holds too many numbers to check");
        return ["B", kind, bytesOf(obj as unknown as Uint8Array)];
      }
      return ["X", `a ${kind ?? "typed array"}`];
    }
    const id = o.reg.idFor(obj);
    if (Array.isArray(obj)) return ["A", id, Array.from(obj, (v) => walk(v, depth + 1))];
    if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet) return ["X", `a ${obj.constructor.name}`];
    const fields: [string, Enc][] = [];
    for (const k of Object.keys(obj)) fields.push([k, walk((obj as Record<string, unknown>)[k], depth + 1)]);
    return ["O", id, fields];
  };
  return walk(value, 0);
}

/** A thrown value, read for crossing (the sandbox reads it under its watchdog: a hostile toString may never return). */
export function encodeError(e: unknown): EncError {
  if (e instanceof Error) {
    const err = e as Error & { code?: unknown; resource?: unknown; permission?: unknown };
    const str = (v: unknown) => (typeof v === "string" ? v.slice(0, LIMITS.string) : undefined);
    return {
      isError: true,
      name: String(err.name).slice(0, 200),
      message: String(err.message).slice(0, LIMITS.string),
      code: str(err.code),
      resource: str(err.resource),
      permission: str(err.permission),
    };
  }
  return { isError: false, name: typeof e, message: String(e).slice(0, LIMITS.string) };
}

/** The judge's stand-in for what the student's code threw: an Error with the same name and message, or the primitive itself. */
export function decodeError(x: unknown): unknown {
  if (x === null || typeof x !== "object") throw new ProtocolError("a malformed error");
  const e = x as Partial<EncError>;
  const name = typeof e.name === "string" ? e.name.slice(0, 200) : "Error";
  const message = typeof e.message === "string" ? e.message.slice(0, LIMITS.string) : "";
  if (!e.isError) {
    if (name === "string") return message;
    if (name === "number") return Number(message);
    if (name === "undefined") return undefined;
    // An object or a boolean: something whose String() gives the same text.
    return { toString: () => message };
  }
  const err = new Error(message);
  Object.defineProperty(err, "name", { value: name, writable: true, configurable: true });
  if (typeof e.code === "string") Object.defineProperty(err, "code", { value: e.code });
  if (typeof e.resource === "string") Object.defineProperty(err, "resource", { value: e.resource });
  if (typeof e.permission === "string") Object.defineProperty(err, "permission", { value: e.permission });
  return err;
}

/** Frames: 4-byte big-endian length, then UTF-8 JSON. */
export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Largest frame either side accepts. */
export const MAX_FRAME = 256 * 1024 * 1024;

/** Accumulates bytes and yields complete frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  /** The next complete message, or undefined. Throws ProtocolError on an oversized or malformed frame. */
  next(): unknown {
    if (this.size < 4) return undefined;
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [buf];
    const len = buf.readUInt32BE(0);
    if (len > MAX_FRAME) throw new ProtocolError("a message too large");
    if (buf.length < 4 + len) return undefined;
    const body = buf.subarray(4, 4 + len);
    buf = buf.subarray(4 + len);
    this.chunks = buf.length > 0 ? [Buffer.from(buf)] : [];
    this.size = buf.length;
    try {
      return JSON.parse(body.toString("utf8"));
    } catch {
      throw new ProtocolError("a message that is not JSON");
    }
  }
}
