/**
 * The one seam through which the checks reach the reference: the modules of solutions/, or — in
 * the student edition (`npm run release`), which ships no solution code — their recorded outputs.
 *
 * Modes (env LAB_REFERENCE, else chosen by what exists):
 * - "solutions": the real reference (the kit's default).
 * - "record": the real reference, and every call of a reference function (and every value a check
 *   computes with `referenceResult`) is appended as one JSON line to the file LAB_REFERENCE_RECORD:
 *   the key is a hash of the function name and its inputs (tensors by shape, dtype and bytes),
 *   the value the output. The check inputs are seeded, so the calls are the same on every run.
 *   `npm run release` grades the reference once this way and ships the lines as fixtures.
 * - "fixtures": replays them (the default when solutions/ is absent). A call whose inputs were
 *   never recorded fails the test with a message saying so (it happens when the inputs were
 *   computed by the student's code, e.g. the reference's mergeHeads on the student's splitHeads,
 *   and then they differ from the reference's own).
 *
 * Cause finding (cause.ts) swaps reference building blocks into the student's code, where the
 * inputs are the student's own intermediates: it cannot be replayed, so it is off under fixtures.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as tf from "@tensorflow/tfjs";
import { EXERCISE_MODULES } from "../lib/support/exercises";
import { CheckFailure } from "./compare";
import { ROOT, SOLUTIONS_DIR } from "./paths";

/** Where the student edition keeps the recorded outputs (gzip'd JSON lines, one call each). */
export const FIXTURES_FILE = path.join(ROOT, "reference", "fixtures.json.gz");

export type ReferenceMode = "solutions" | "record" | "fixtures";


export function referenceMode(): ReferenceMode {
  const v = process.env.LAB_REFERENCE;
  if (v === "solutions" || v === "record" || v === "fixtures") return v;
  if (v) throw new Error(`LAB_REFERENCE must be "solutions", "record" or "fixtures", got "${v}"`);
  return fs.existsSync(SOLUTIONS_DIR) ? "solutions" : "fixtures";
}

/** True when the reference is replayed from fixtures (no solution code available). */
export function replaying(): boolean {
  return referenceMode() === "fixtures";
}

/** What the student edition's reports add when a test failed (undefined with the real reference). */
export function editionNote(): string | undefined {
  return replaying()
    ? "student edition: your results are compared with the reference's recorded outputs (reference/fixtures.json.gz); " +
        "it does not name known mistakes or work out which earlier exercise a failure comes from (that needs the full kit): fix the exercises in order"
    : undefined;
}

/** Cause finding runs the reference on the student's intermediates: only with the real reference. */
export function causesAvailable(): boolean {
  return !replaying();
}

// ---------------------------------------------------------------------------------------------
// Encoding of inputs and outputs

type Enc =
  | { t: "tensor"; dtype: string; shape: number[]; data: string }
  | { t: "disposed" }
  | { t: "undefined" }
  | { t: "number"; v: string }
  | { t: "array"; v: Enc[] }
  | { t: "object"; v: [string, Enc][] }
  | { t: "function"; v: string }
  | { t: "json"; v: unknown };

function encode(x: unknown): Enc {
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) return { t: "disposed" };
    const d = x.dataSync() as Float32Array | Int32Array | Uint8Array;
    return { t: "tensor", dtype: x.dtype, shape: [...x.shape], data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64") };
  }
  if (x === undefined) return { t: "undefined" };
  if (typeof x === "number") return { t: "number", v: Object.is(x, -0) ? "-0" : String(x) };
  if (Array.isArray(x)) return { t: "array", v: x.map(encode) };
  if (x !== null && typeof x === "object") return { t: "object", v: Object.entries(x).map(([k, v]) => [k, encode(v)]) };
  // A function (a model's step) by its code: what it computes beyond that must show in the
  // object's other fields (as the 6.x table model's settings do), or two calls could share a key.
  if (typeof x === "function") return { t: "function", v: x.toString() };
  return { t: "json", v: x };
}

function decode(e: Enc): unknown {
  switch (e.t) {
    case "tensor": {
      const bytes = Buffer.from(e.data, "base64");
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      if (e.dtype === "int32") return tf.tensor(new Int32Array(buf), e.shape, "int32");
      if (e.dtype === "bool") return tf.tensor(new Uint8Array(buf), e.shape, "bool");
      return tf.tensor(new Float32Array(buf), e.shape, e.dtype as "float32");
    }
    case "disposed":
      throw new Error("reference replay: the recorded output held a disposed tensor");
    case "undefined":
      return undefined;
    case "number":
      return Number(e.v);
    case "array":
      return e.v.map(decode);
    case "object":
      return Object.fromEntries(e.v.map(([k, v]) => [k, decode(v)]));
    case "function":
      throw new Error("reference replay: a recorded output cannot be a function");
    case "json":
      return e.v;
  }
}

function keyOf(name: string, args: unknown): string {
  return createHash("sha256").update(name).update("\u0000").update(JSON.stringify(encode(args))).digest("hex");
}

/** A recorded outcome: the output, or the message of what the reference threw. */
type Entry = { key: string; name: string; out?: Enc; error?: string };

// ---------------------------------------------------------------------------------------------
// Recording and replay

function recordFile(): string {
  const f = process.env.LAB_REFERENCE_RECORD;
  if (!f) throw new Error("LAB_REFERENCE=record needs LAB_REFERENCE_RECORD, the file to append the recorded outputs to");
  return f;
}

function appendEntry(entry: Entry): void {
  fs.appendFileSync(recordFile(), `${JSON.stringify(entry)}\n`);
}

let replayTable: Map<string, Entry> | undefined;

function table(): Map<string, Entry> {
  if (replayTable) return replayTable;
  if (!fs.existsSync(FIXTURES_FILE)) {
    throw new Error(
      `the reference is not available: there is no solutions/ folder and no recorded reference outputs (${path.relative(process.cwd(), FIXTURES_FILE)}); ` +
        "rebuild the student edition with `npm run release -- --out DIR` from the full kit",
    );
  }
  const lines = zlib.gunzipSync(fs.readFileSync(FIXTURES_FILE)).toString("utf8").split("\n");
  replayTable = new Map();
  for (const l of lines) {
    if (!l) continue;
    const e = JSON.parse(l) as Entry;
    replayTable.set(e.key, e);
  }
  return replayTable;
}

function replay(name: string, args: unknown): unknown {
  const e = table().get(keyOf(name, args));
  if (!e) {
    throw new CheckFailure(
      `this test could not be graded in the student edition: it passes values to the reference's ${name} for which no reference output was recorded ` +
        "(the student edition ships only the reference's outputs on the tests' own inputs, so the values your code passed on differ from the reference's)",
      "your tutor's full kit grades this test with the reference itself",
    );
  }
  if (e.error !== undefined) throw new Error(e.error);
  return decode(e.out as Enc);
}

/**
 * A value a check computes from the reference (e.g. gradients through it) that a plain function
 * call cannot capture: computed and recorded under "solutions"/"record", replayed under "fixtures".
 * `name` identifies the computation, `inputs` are hashed with it.
 */
export function referenceResult<T>(name: string, inputs: unknown, compute: () => T): T {
  const mode = referenceMode();
  if (mode === "fixtures") return replay(name, inputs) as T;
  const out = compute();
  if (mode === "record") appendEntry({ key: keyOf(name, inputs), name, out: encode(out) });
  return out;
}

function recording(module: string, real: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...real };
  for (const [k, v] of Object.entries(real)) {
    if (typeof v !== "function") continue;
    const name = `${module}.${k}`;
    out[k] = (...args: unknown[]) => {
      const key = keyOf(name, args);
      let result: unknown;
      try {
        result = (v as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        appendEntry({ key, name, error: e instanceof Error ? e.message : String(e) });
        throw e;
      }
      appendEntry({ key, name, out: encode(result) });
      return result;
    };
  }
  return out;
}

function replayModule(module: string): Record<string, unknown> {
  return new Proxy({} as Record<string, unknown>, {
    get(_t, prop) {
      if (typeof prop !== "string" || prop === "then" || prop === "__esModule") return undefined;
      return (...args: unknown[]) => replay(`${module}.${prop}`, args);
    },
  });
}

const cache = new Map<string, Record<string, unknown>>();

/** The reference module `module` ("attention", "gpt", …) in the current mode. */
export function referenceModule(module: string): Record<string, unknown> {
  let m = cache.get(module);
  if (m) return m;
  const mode = referenceMode();
  if (mode === "fixtures") m = replayModule(module);
  else {
    const real = require(path.join(SOLUTIONS_DIR, `${module}.ts`)) as Record<string, unknown>;
    m = mode === "record" ? recording(module, real) : real;
  }
  cache.set(module, m);
  return m;
}

/** Every exercise module's reference, by module name. */
export function referenceModules(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(EXERCISE_MODULES.map((m) => [m, referenceModule(m)]));
}
