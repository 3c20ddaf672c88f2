/**
 * The sandbox: the only process that runs a submission's code. Started by the judge (client.ts)
 * under Node's permission model (reads: its own workspace and the kit's node_modules; no writes,
 * no child processes, no worker threads, no native addons, no inspector), with resource limits,
 * as a throwaway user where the judge runs as root.
 *
 * It holds no reference code, no expected values and no check: the judge sends it calls
 * ("call softmax with these arguments"), it runs the student's function under a watchdog and
 * sends back what came out (codec.ts). Everything that decides a mark happens in the judge, from
 * data; nothing this process writes or prints is trusted.
 *
 * It never returns to Node's event loop once it serves requests: it reads them with blocking
 * reads on the request FIFO and answers on the reply FIFO (their paths are its arguments). So a timer, an interval, a promise callback or a network
 * request that the student's code starts never runs (the judge is told, as a note).
 *
 * Memory rules mirror what the student's function would see in process: inputs the judge sends
 * live until the judge disposes its copies; results are the caller's (kept until the judge
 * disposes its copy); the judge's tfjs scopes (tf.tidy) are mirrored, so a tensor the student's
 * code leaves inside a caller's tf.tidy is freed when that tidy ends, exactly as in process.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/support/backend";
import { callWithTimeout, isWatchdogTimeout, restoreEngine, snapshotEngine } from "../watchdog";
import { decode, decodeError, encode, encodeError, frame, FrameReader, ProtocolError, Registry, type Enc, type EncError } from "./codec";
import { bridgeGradients, tensorsIn, vjpLoss } from "./gradient-bridge";

// The two FIFOs of the judge (client.ts), by path: requests in, replies out.
const IN = fs.openSync(process.argv[2] ?? "", "r");
const OUT = fs.openSync(process.argv[3] ?? "", "w");
const SWAP_KEY = "attention-lab.swaps";
const LIB = path.resolve(__dirname, "..", "..", "lib");

type AnyFn = (...a: unknown[]) => unknown;

// Kept before anything of the student's runs: the runner's own way out.
const reallyExit = (process as unknown as { reallyExit(code: number): never }).reallyExit.bind(process);
const writeSync = fs.writeSync;
const readSync = fs.readSync;

const reader = new FrameReader();
const inBuf = Buffer.alloc(1 << 16);

function send(message: unknown): void {
  const b = frame(message);
  let off = 0;
  while (off < b.length) off += writeSync(OUT, b, off, b.length - off);
}

/** Blocks until a whole message arrives; exits when the judge has gone. */
function receive(): Record<string, unknown> {
  for (;;) {
    const m = reader.next();
    if (m !== undefined) return m as Record<string, unknown>;
    let n = 0;
    try {
      n = readSync(IN, inBuf, 0, inBuf.length, null);
    } catch {
      reallyExit(0);
    }
    if (n === 0) reallyExit(0);
    reader.push(Buffer.from(inBuf.subarray(0, n)));
  }
}

// ---------------------------------------------------------------------------------------------
// Notes about what the submission did (informative: the judge never trusts them for marks)

interface Note {
  kind: "patched" | "timer" | "denied";
  what: string;
}
const notes: Note[] = [];
function note(n: Note): void {
  if (notes.length < 50 && !notes.some((x) => x.kind === n.kind && x.what === n.what)) notes.push(n);
}

/** Built-ins and library objects whose replacement the judge reports (a submission patching Math.exp, say). */
function watched(): [string, object][] {
  const typed = Object.getPrototypeOf(Float32Array.prototype) as object;
  return [
    ["Math", Math],
    ["Number", Number],
    ["JSON", JSON],
    ["Object", Object],
    ["Array.prototype", Array.prototype],
    ["Function.prototype", Function.prototype],
    ["TypedArray.prototype", typed],
    ["Float32Array.prototype", Float32Array.prototype],
    ["Int32Array.prototype", Int32Array.prototype],
    ["Promise", Promise],
    ["Reflect", Reflect],
    ["fs", require("fs") as object],
    ["process", process],
    ["tf", tf],
    ["tf.Tensor.prototype", tf.Tensor.prototype],
    ["globalThis", globalThis],
  ];
}

type Snapshot = Map<string, Map<PropertyKey, unknown>>;
function snapshotGlobals(): Snapshot {
  const out: Snapshot = new Map();
  for (const [name, obj] of watched()) {
    const props = new Map<PropertyKey, unknown>();
    for (const k of Reflect.ownKeys(obj)) {
      const d = Reflect.getOwnPropertyDescriptor(obj, k);
      props.set(k, d ? ("value" in d ? d.value : d.get) : undefined);
    }
    out.set(name, props);
  }
  return out;
}
let globalsBefore: Snapshot | undefined;
function checkGlobals(): void {
  if (!globalsBefore) return;
  for (const [name, obj] of watched()) {
    const before = globalsBefore.get(name);
    if (!before) continue;
    for (const k of Reflect.ownKeys(obj)) {
      if (typeof k !== "string") continue;
      const d = Reflect.getOwnPropertyDescriptor(obj, k);
      const now = d ? ("value" in d ? d.value : d.get) : undefined;
      if (name === "globalThis" && !before.has(k)) continue; // new globals are the student's business
      if (!before.has(k) || !Object.is(before.get(k), now)) note({ kind: "patched", what: `${name}.${k}` });
    }
  }
}

function noteTimers(): void {
  const active = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  if (active.includes("Timeout") || active.includes("Immediate")) note({ kind: "timer", what: "timer" });
}

function noteDenied(e: unknown): void {
  const err = e as { code?: unknown; resource?: unknown; permission?: unknown } | null;
  if (err && typeof err === "object" && err.code === "ERR_ACCESS_DENIED") {
    note({ kind: "denied", what: `${String(err.permission ?? "")}|${String(err.resource ?? "")}`.slice(0, 300) });
  }
}

// ---------------------------------------------------------------------------------------------
// State shared with the judge

let reg = new Registry(-1);
/** Tensors held for the judge (its inputs, and results until the judge disposes them), by id. */
const held = new Map<number, tf.Tensor>();
/** The judge's objects (arguments) as last seen, to report what a call changed in them. */
const judgeObjects = new Map<number, { obj: object; keys: string[]; values: unknown[] }>();
/** The judge's tfjs scopes, mirrored: their ids, outermost first. */
const scopes: number[] = [];
const modules = new Map<string, Record<string, unknown>>();
/** Callback results still to read after a call was cut short while waiting for one. */
let pendingCallbacks = 0;

function snapshotObject(id: number, obj: object): void {
  const keys = Array.isArray(obj) ? [...obj.keys()].map(String) : Object.keys(obj);
  judgeObjects.set(id, { obj, keys, values: keys.map((k) => (obj as Record<string, unknown>)[k]) });
}

function changed(s: { obj: object; keys: string[]; values: unknown[] }): boolean {
  const o = s.obj as Record<string, unknown>;
  const keys = Array.isArray(o) ? [...(o as unknown[]).keys()].map(String) : Object.keys(o);
  if (keys.length !== s.keys.length) return true;
  return keys.some((k, i) => k !== s.keys[i] || o[k] !== s.values[i]);
}

function applySync(sync: unknown): void {
  const s = (sync ?? {}) as { disposed?: unknown; scopes?: unknown };
  if (Array.isArray(s.disposed)) {
    for (const id of s.disposed) {
      const t = held.get(id as number);
      if (t && !t.isDisposed) t.dispose();
      held.delete(id as number);
      reg.forget(id as number);
    }
  }
  if (Array.isArray(s.scopes)) {
    const want = s.scopes as number[];
    let common = 0;
    while (common < scopes.length && common < want.length && scopes[common] === want[common]) common++;
    while (scopes.length > common) {
      tf.engine().endScope();
      scopes.pop();
    }
    for (const id of want.slice(common)) {
      tf.engine().startScope();
      scopes.push(id);
    }
  }
}

/** What the judge must mirror after a call: tensors of its that are now disposed, objects of its that changed. */
function syncBack(enc: (v: unknown) => Enc): { disposed: number[]; objects: [number, Enc][] } {
  const disposed: number[] = [];
  for (const [id, t] of held) {
    if (t.isDisposed) {
      disposed.push(id);
      held.delete(id);
    }
  }
  const objects: [number, Enc][] = [];
  for (const [id, s] of judgeObjects) {
    if (!changed(s)) continue;
    const o = s.obj as Record<string, unknown>;
    const keys = Array.isArray(o) ? [...(o as unknown[]).keys()].map(String) : Object.keys(o);
    objects.push([id, Array.isArray(o) ? ["A", id, (o as unknown[]).map((v) => enc(v))] : ["O", id, keys.map((k) => [k, enc(o[k])] as [string, Enc])]]);
    snapshotObject(id, s.obj);
  }
  // Ids of disposed tensors are forgotten only now: the result may still name them.
  for (const id of disposed) reg.forget(id);
  return { disposed, objects };
}

function resultEncoder(): { enc: (v: unknown) => Enc; fresh: tf.Tensor[] } {
  const fresh: tf.Tensor[] = [];
  const enc = (v: unknown) =>
    encode(v, {
      reg,
      receiverHas: (id) => held.has(id),
      refOnly: (id) => id > 0,
      onSent: (id, t) => {
        fresh.push(t);
        held.set(id, t);
      },
    });
  return { enc, fresh };
}

// ---------------------------------------------------------------------------------------------
// Calling back into the judge (its functions passed as arguments, and swapped building blocks)

function callJudge(target: { fn: number } | { swap: string } | { vjp: string }, args: unknown[], dys?: readonly (tf.Tensor | null)[]): unknown {
  const tmp = new Registry(-1);
  const encArgs = args.map((a) => encode(a, { reg: tmp, receiverHas: () => false }));
  const encDys = dys?.map((d) => (d ? encode(d, { reg: tmp, receiverHas: () => false }) : null));
  pendingCallbacks++;
  send({ op: "callback", target, args: encArgs, ...(encDys ? { dys: encDys } : {}) });
  const reply = receive();
  pendingCallbacks--;
  if (reply.op !== "callback-result") throw new ProtocolError("expected a callback result");
  if (!reply.ok) throw decodeError(reply.error);
  // The judge's result becomes a tensor of the student's code, in its current scope (not held).
  return decode(reply.value, { reg: new Registry(1), onTensor: () => undefined });
}

function swapTable(): Map<string, AnyFn> {
  const g = globalThis as unknown as Record<symbol, Map<string, AnyFn> | undefined>;
  const sym = Symbol.for(SWAP_KEY);
  let t = g[sym];
  if (!t) {
    t = new Map();
    g[sym] = t;
  }
  return t;
}

/**
 * The swapped reference blocks of cause finding, each a call back into the judge. Inside a
 * gradient request they carry gradients too (gradient-bridge.ts): the backward pass asks the
 * judge for the reference's vector-Jacobian product, so a gradient test re-runs with a swapped
 * block like any other test.
 */
function installSwaps(names: unknown, carryGradients = false): void {
  const t = swapTable();
  t.clear();
  if (!Array.isArray(names)) return;
  for (const n of names) {
    if (typeof n !== "string") continue;
    t.set(n, (...a: unknown[]) => {
      if (!carryGradients) return callJudge({ swap: n }, a);
      const inputs = tensorsIn(a);
      return bridgeGradients(a, () => callJudge({ swap: n }, a), (dys, saved) => {
        const gs = callJudge({ vjp: n }, saved, dys);
        if (!Array.isArray(gs) || gs.length !== inputs.length) throw new ProtocolError("expected one gradient per input of a swapped block");
        return gs.map((g, i) => (g instanceof tf.Tensor ? g : tf.zerosLike(inputs[i])));
      });
    });
  }
}

function drainCallbacks(): void {
  while (pendingCallbacks > 0) {
    receive();
    pendingCallbacks--;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

function describeExports(mod: Record<string, unknown>): Record<string, Enc | "function"> {
  const out: Record<string, Enc | "function"> = {};
  const { enc } = resultEncoder();
  for (const k of Object.keys(mod)) {
    if (k === "__esModule") continue;
    const v = mod[k];
    out[k] = typeof v === "function" ? "function" : enc(v);
  }
  return out;
}

/** Reads an error of the student's under a short watchdog: a hostile toString must not hang the sandbox. */
function readError(e: unknown): EncError {
  noteDenied(e);
  try {
    return callWithTimeout("reading the error", () => encodeError(e), 2000);
  } catch {
    return { isError: false, name: "object", message: "<a thrown value whose message could not be read>" };
  }
}

function load(req: Record<string, unknown>): unknown {
  const m = String(req.module);
  if (!/^[A-Za-z0-9_-]+$/.test(m)) return { ok: false, kind: "error", error: { isError: true, name: "Error", message: "bad module name" } };
  const budget = Number(req.budgetMs) || 10_000;
  const file = path.join(LIB, `${m}.js`);
  try {
    const mod = callWithTimeout(`loading lib/${m}.ts`, () => require(file) as Record<string, unknown>, budget);
    modules.set(m, mod);
    // Modules it imported (lib/blocks.ts imports ./multihead) are loaded too: cause finding uses them.
    for (const other of fs.readdirSync(LIB).filter((f) => f.endsWith(".js"))) {
      const name = other.slice(0, -3);
      const cached = require.cache[path.join(LIB, other)];
      if (cached?.loaded && !modules.has(name)) modules.set(name, cached.exports as Record<string, unknown>);
    }
    checkGlobals();
    noteTimers();
    return { ok: true, exports: describeExports(mod), notes };
  } catch (e) {
    restoreEngine(snapshotEngine());
    if (isWatchdogTimeout(e)) return { ok: false, kind: "timeout", notes };
    return { ok: false, kind: "error", error: readError(e), notes };
  }
}

function moduleExports(req: Record<string, unknown>): unknown {
  const mod = modules.get(String(req.module));
  return mod ? { loaded: true, exports: describeExports(mod) } : { loaded: false };
}

function decodeArgs(args: unknown): unknown[] {
  if (!Array.isArray(args)) throw new ProtocolError("arguments must be a list");
  return args.map((a) =>
    decode(a, {
      reg,
      updateInPlace: true,
      onTensor: (id, t) => {
        tf.keep(t);
        held.set(id, t);
      },
      onObject: (id, o) => snapshotObject(id, o),
      fn: (id) => (...a: unknown[]) => callJudge({ fn: id }, a),
    }),
  );
}

function target(req: Record<string, unknown>): AnyFn {
  const mod = modules.get(String(req.module));
  const f = mod?.[String(req.fn)];
  if (typeof f !== "function") throw new ProtocolError(`lib/${String(req.module)}.ts has no function ${String(req.fn)}`);
  return f as AnyFn;
}

function call(req: Record<string, unknown>): unknown {
  applySync(req.sync);
  installSwaps(req.swaps);
  const args = decodeArgs(req.args);
  const f = target(req);
  const budget = Math.max(1, Number(req.budgetMs) || 1);
  const t0 = Date.now();
  const before = tf.memory().numTensors;
  let result: unknown;
  let error: EncError | undefined;
  let timeout = false;
  const snap = snapshotEngine();
  try {
    result = callWithTimeout(String(req.fn), () => f(...args), budget);
  } catch (e) {
    if (isWatchdogTimeout(e)) timeout = true;
    else error = readError(e);
  } finally {
    swapTable().clear();
  }
  if (timeout) drainCallbacks();
  // Scopes the student's code left open (a throw inside tf.tidy cannot, but a cut-short call can).
  if (timeout || error) restoreEngine(snap);
  const after = tf.memory().numTensors;
  const { enc, fresh } = resultEncoder();
  let value: Enc | undefined;
  if (!timeout && !error) {
    try {
      // Reading the result may run the student's code (getters, a fake tensor's dataSync): same watchdog.
      value = callWithTimeout(`reading ${String(req.fn)}'s result`, () => enc(result), Math.max(2000, budget - (Date.now() - t0)));
    } catch (e) {
      if (isWatchdogTimeout(e)) error = { isError: true, name: "ResultUnreadable", message: "its result could not be read within the time limit (a getter or a fake tensor that never returns?)" };
      else error = { isError: true, name: "ResultUnreadable", message: `its result could not be read: ${encodeError(e).message}` };
      value = undefined;
    }
  }
  for (const t of fresh) if (!t.isDisposed) tf.keep(t);
  const leaked = after - before - fresh.filter((t) => !t.isDisposed).length;
  checkGlobals();
  noteTimers();
  const back = syncBack(enc);
  if (timeout) return { ok: false, timeout: true, leaked: 0, sync: back, notes };
  if (error) return { ok: false, error, leaked: Math.max(0, after - before), sync: back, notes };
  return { ok: true, value, leaked, sync: back, notes };
}


/**
 * Gradients of sum_i <output_i, dy_i> with respect to the judge's tensors `wrt`, where output_i
 * are the tensors of the function's result (in tensorsIn order) and dy_i the judge's upstream
 * gradients (null: that output is not on the judge's path).
 */
function grads(req: Record<string, unknown>): unknown {
  applySync(req.sync);
  installSwaps(req.swaps, true);
  const args = decodeArgs(req.args);
  const f = target(req);
  const wrt = (Array.isArray(req.wrt) ? req.wrt : []).map((id) => {
    const t = reg.byId.get(id as number);
    if (!(t instanceof tf.Tensor)) throw new ProtocolError("gradient with respect to an unknown tensor");
    return t;
  });
  const dys = (Array.isArray(req.dys) ? req.dys : []).map((d) => (d === null ? null : (decode(d, { reg: new Registry(1), onTensor: (_id, t) => tf.keep(t) }) as tf.Tensor)));
  const budget = Math.max(1, Number(req.budgetMs) || 1);
  const snap = snapshotEngine();
  const { enc, fresh } = resultEncoder();
  const loss = vjpLoss(() => f(...args), dys);
  try {
    const deadline = Date.now() + budget;
    const left = () => Math.max(1, deadline - Date.now());
    let gs: (tf.Tensor | null)[];
    try {
      gs = callWithTimeout(String(req.fn), () => tf.grads(loss)(wrt), left());
    } catch (e) {
      if (isWatchdogTimeout(e)) throw e;
      // The judge's tf.grads may want only some of the inputs (not a mask, say): one at a time,
      // an input without a gradient gets none (null), unless none of them has one.
      restoreEngine(snap);
      gs = wrt.map((x) => {
        try {
          return callWithTimeout(String(req.fn), () => tf.grads(loss)([x])[0], left());
        } catch (e2) {
          if (isWatchdogTimeout(e2)) throw e2;
          restoreEngine(snap);
          return null;
        }
      });
      if (gs.every((g) => g === null)) throw e;
    }
    const value = gs.map((g) => (g === null ? (["u"] as Enc) : enc(g)));
    for (const t of fresh) tf.keep(t);
    return { ok: true, value, sync: syncBack(enc), notes };
  } catch (e) {
    swapTable().clear();
    restoreEngine(snap);
    if (isWatchdogTimeout(e)) {
      drainCallbacks();
      return { ok: false, timeout: true, sync: syncBack(enc), notes };
    }
    return { ok: false, error: readError(e), sync: syncBack(enc), notes };
  } finally {
    swapTable().clear();
    for (const d of dys) d?.dispose();
  }
}

function serve(): never {
  for (;;) {
    const req = receive();
    let reply: unknown;
    try {
      switch (req.op) {
        case "load":
          reply = load(req);
          break;
        case "exports":
          reply = moduleExports(req);
          break;
        case "call":
          reply = call(req);
          break;
        case "grads":
          reply = grads(req);
          break;
        case "sync":
          applySync(req.sync);
          reply = { ok: true, sync: syncBack(resultEncoder().enc) };
          break;
        case "reset":
          // The judge lost track (after a protocol error): start the bookkeeping afresh.
          reg = new Registry(-1);
          held.clear();
          judgeObjects.clear();
          reply = { ok: true };
          break;
        case "next-exercise":
          reply = nextExercise();
          break;
        default:
          reply = { ok: false, protocol: `unknown request ${String(req.op)}` };
      }
    } catch (e) {
      reply = { ok: false, protocol: e instanceof Error ? e.message : String(e) };
    }
    send(reply ?? { ok: false, protocol: `no reply to ${String(req.op)}` });
  }
}

// ---------------------------------------------------------------------------------------------
// Reuse for the next exercise of the same submission (the judge's choice, see client.ts)

/**
 * What a fresh sandbox looks like to the student's code, beyond the watched built-ins: every
 * global and what it holds (its own properties and its prototype's), tfjs's flags, kernels and
 * backend, the kit's support modules' exports, the bytes of live tensors. Compared after an
 * exercise: any difference means this process is not as fresh as a new one, so the judge
 * discards it.
 */
function stateFingerprint(): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const props = (label: string, obj: unknown) => {
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) return;
    if (obj === globalThis) return; // its own properties are the globals, below
    for (const k of Reflect.ownKeys(obj as object)) {
      const d = Reflect.getOwnPropertyDescriptor(obj as object, k);
      out.set(`${label}.${String(k)}`, d ? ("value" in d ? d.value : d.get) : undefined);
    }
  };
  // Descriptors only: reading a global would run Node's lazy getters (and change what it reads).
  for (const k of Reflect.ownKeys(globalThis)) {
    if (k === WATCHDOG_SLOT) continue; // the watchdog's own slot, set on every call
    const d = Reflect.getOwnPropertyDescriptor(globalThis, k);
    if (!d || !("value" in d)) {
      out.set(`global.${String(k)}`, d?.get);
      continue;
    }
    const v: unknown = d.value;
    out.set(`global.${String(k)}`, v);
    if (typeof v === "function") {
      props(`${String(k)}`, v);
      props(`${String(k)}.prototype`, (v as { prototype?: unknown }).prototype);
    } else if (v !== null && typeof v === "object" && k !== "process") {
      props(String(k), v);
    }
  }
  props("tf", tf);
  props("tf.Tensor.prototype", tf.Tensor.prototype);
  props("Object.getPrototypeOf(Float32Array.prototype)", Object.getPrototypeOf(Float32Array.prototype));
  for (const [k, v] of Object.entries(tf.env().getFlags())) out.set(`tf.env.${k}`, v);
  out.set("tf.backend", tf.getBackend());
  for (const kernel of tf.getKernelsForBackend(tf.getBackend())) {
    out.set(`kernel.${kernel.kernelName}`, kernel.kernelFunc);
    out.set(`kernel.${kernel.kernelName}.gradient`, tf.getGradient(kernel.kernelName));
  }
  for (const [file, m] of Object.entries(require.cache)) {
    if (m && file.startsWith(LIB + path.sep + "support" + path.sep)) props(`support:${path.relative(LIB, file)}`, m.exports);
  }
  out.set("bytes", tf.memory().numBytes);
  return out;
}
let freshState: Map<string, unknown> | undefined;
const WATCHDOG_SLOT = "__labWatchdogCall";
const LEFTOVER_BYTES = 16 << 20;

/**
 * Additions a new process would make too, as the kit's own code runs: a support module loaded
 * for the first time, a kit kernel ("Lab…", lib/support/fast/kernels.ts) registered on first use.
 * They join the fresh state; any later change to them still counts.
 */
const ADDITION = /^(support:|kernel\.Lab)/;

/** The module or kernel a fingerprint key belongs to ("support:support/ops.js", "kernel.LabMatMul"). */
function owner(key: string): string {
  return key.startsWith("support:") ? key.slice(0, key.indexOf(".js") + 3) : key.replace(/\.gradient$/, "");
}
/** Support modules and kernels present in the fresh state: new properties on them are changes, not additions. */
const freshOwners = new Set<string>();

/** The first difference between now and the fresh state, or undefined. */
function stateChange(): string | undefined {
  if (!freshState) return "no fresh state recorded";
  const now = stateFingerprint();
  // Tensors left behind (the gradient path leaves a few small ones) only cost memory: up to a
  // small budget, which keeps a process that a leak has filled from being reused.
  const grown = Number(now.get("bytes")) - Number(freshState.get("bytes"));
  if (grown > LEFTOVER_BYTES) return `${grown} bytes of tensors left behind`;
  now.delete("bytes");
  const added: [string, unknown][] = [];
  for (const [k, v] of now) {
    if (!freshState.has(k) && ADDITION.test(k) && !freshOwners.has(owner(k))) added.push([k, v]);
    else if (!freshState.has(k) || !Object.is(freshState.get(k), v)) return k;
  }
  for (const k of freshState.keys()) if (!now.has(k) && k !== "bytes") return k;
  for (const [k, v] of added) freshState.set(k, v);
  for (const [k] of added) freshOwners.add(owner(k));
  return undefined;
}

/** The kit's support modules exercise files import (the reference's imports): loaded before the fresh state is taken. */
const PRELOADED_SUPPORT = ["exercises", "types", "checks", "ops", "random"];

/**
 * Forgets the last exercise: the judge's tensors and objects, its mirrored scopes, the student's
 * modules (the next load reads them afresh, as a new process would). Replies whether the process
 * is now as fresh as a new one (nothing noted, no state changed); if not, the judge stops it.
 */
function nextExercise(): unknown {
  while (scopes.length > 0) {
    tf.engine().endScope();
    scopes.pop();
  }
  for (const t of held.values()) if (!t.isDisposed) t.dispose();
  held.clear();
  judgeObjects.clear();
  reg = new Registry(-1);
  swapTable().clear();
  pendingCallbacks = 0;
  for (const file of Object.keys(require.cache)) if (path.dirname(file) === LIB) delete require.cache[file];
  modules.clear();
  if (notes.length > 0) return { ok: true, fresh: false, why: `noted: ${notes[0].kind} ${notes[0].what}` };
  noteTimers();
  if (notes.length > 0) return { ok: true, fresh: false, why: "a timer" };
  const changed = stateChange();
  return changed === undefined ? { ok: true, fresh: true } : { ok: true, fresh: false, why: `changed: ${changed}` };
}

function harden(): void {
  const deny = (what: string) => () => {
    throw new Error(`${what} is not allowed while grading`);
  };
  const fix = (obj: object, key: string, value: unknown) => {
    try {
      Object.defineProperty(obj, key, { value, writable: false, configurable: false, enumerable: false });
    } catch {
      // not configurable in this Node: the permission model still stands
    }
  };
  fix(process, "kill", deny("process.kill"));
  fix(process, "_kill", deny("process.kill"));
  fix(process, "exit", deny("process.exit"));
  fix(process, "reallyExit", deny("process.exit"));
  fix(process, "abort", deny("process.abort"));
  fix(process, "_debugProcess", deny("process._debugProcess"));
  // Refusals the student's code catches itself are still reported: fs and child_process calls note them on the way out.
  // The real module objects (`import * as fs` is a copy under esModuleInterop).
  for (const mod of [require("fs") as Record<string, unknown>, require("child_process") as Record<string, unknown>]) {
    for (const key of Object.keys(mod)) {
      const f = mod[key];
      if (typeof f !== "function" || /^[A-Z]/.test(key)) continue;
      const wrapped = function (this: unknown, ...a: unknown[]) {
        try {
          return (f as (...x: unknown[]) => unknown).apply(this, a);
        } catch (e) {
          noteDenied(e);
          throw e;
        }
      };
      try {
        mod[key] = wrapped;
      } catch {
        // read-only: left as it is
      }
    }
  }
  // The student's console output goes nowhere (the judge shows none of it): a flood costs nothing.
  const quiet = () => true;
  for (const stream of [process.stdout, process.stderr]) fix(stream, "write", quiet);
}

async function main(): Promise<void> {
  await setupBackend("wasm", { quiet: true });
  harden();
  globalsBefore = snapshotGlobals();
  swapTable(); // created now, so that it is part of the fresh state
  for (const m of PRELOADED_SUPPORT) {
    try {
      require(path.join(LIB, "support", `${m}.js`));
    } catch {
      // not in this kit: loaded (or not) when an exercise imports it
    }
  }
  // tfjs evaluates its flags lazily: evaluated now (their defaults), a later change shows.
  const env = tf.env() as unknown as { flagRegistry: Record<string, unknown>; get(name: string): unknown };
  for (const name of Object.keys(env.flagRegistry ?? {})) {
    try {
      env.get(name);
    } catch {
      // a flag that cannot be evaluated here stays unevaluated
    }
  }
  freshState = stateFingerprint();
  for (const k of freshState.keys()) if (ADDITION.test(k)) freshOwners.add(owner(k));
  send({ op: "ready", backend: tf.getBackend() });
  serve();
}

main().catch((e) => {
  try {
    writeSync(2, `sandbox: ${(e as Error)?.stack ?? String(e)}\n`);
  } finally {
    reallyExit(70);
  }
});
