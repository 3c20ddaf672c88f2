/**
 * The judge's side of the sandbox: starts the sandbox process (runner.ts) for one staged
 * submission and gives the checks stand-ins for the student's modules whose functions run in
 * that process. The checks, the reference, the expected values and the results file stay here,
 * in the grading worker; the student's code never shares a process with them.
 *
 * The sandbox process runs:
 * - under Node's permission model: it may read only its workspace (the staged lib/ and its own
 *   compiled code) and the kit's node_modules, write only its reply FIFO, and start no child
 *   process or worker thread;
 * - with resource limits (prlimit): address space (which caps typed arrays and wasm memory too,
 *   beyond --max-old-space-size for the JS heap), CPU seconds, file size, open files;
 * - as the throwaway user `nobody` when the grader runs as root (so it cannot signal the grader),
 *   and without a network (a new network namespace) where unshare is allowed.
 *
 * Calls are synchronous (the checks call student functions synchronously): requests and replies
 * are frames (codec.ts) on two FIFOs, read with non-blocking reads and a deadline, so a sandbox
 * that stops answering costs only the call (it is killed and started afresh for the next check).
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { findExercise } from "../../lib/support/exercises";
import { ROOT } from "../paths";
import { currentSwaps } from "../swap";
import { StudentError, WatchdogTimeout } from "../watchdog";
import { decode, decodeError, encode, encodeError, frame, FrameReader, ProtocolError, Registry, type Enc } from "./codec";
import { bridgeGradients, outsideTape, tensorsIn, vjpLoss } from "./gradient-bridge";

export interface SandboxOptions {
  /** The staged run folder (stage.ts): the sandbox reads its lib/ and grader/ only. */
  runDir: string;
  /** Address-space limit in MiB on top of the wasm reservation (see ADDRESS_SPACE_BASE_MB). */
  memoryMb?: number;
  /** JS heap limit in MiB (--max-old-space-size). */
  heapMb?: number;
  /** CPU seconds for the whole sandbox process. */
  cpuSeconds?: number;
  /** Time to start (tfjs and its wasm backend). */
  startMs?: number;
}

/**
 * V8 reserves about 10 GiB of address space for each wasm memory (guard regions), so the
 * address-space limit is this much plus what the submission may really use.
 */
export const ADDRESS_SPACE_BASE_MB = 10_752;
export const DEFAULT_MEMORY_MB = 1536;

/** What the sandbox reported about the submission's behaviour (informative; marks never depend on it being truthful). */
export interface SandboxNote {
  kind: "patched" | "timer" | "denied";
  what: string;
}

/** The sandbox process ended (or stopped answering) in the middle of a call. */
export class SandboxCrash extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxCrash";
  }
}

const RUNNER_REL = path.join("grader", "sandbox", "runner.js");
const RUNNER_SOURCES = ["grader/sandbox/runner.ts", "grader/sandbox/codec.ts", "grader/sandbox/gradient-bridge.ts", "grader/watchdog.ts"];

let probed: { unshare: boolean; prlimit: boolean; setpriv: boolean } | undefined;
function tools(): { unshare: boolean; prlimit: boolean; setpriv: boolean } {
  if (!probed) {
    const ok = (cmd: string, args: string[]) => {
      try {
        return spawnSync(cmd, args, { stdio: "ignore", timeout: 5000 }).status === 0;
      } catch {
        return false;
      }
    };
    probed = { unshare: process.platform === "linux" && ok("unshare", ["-n", "true"]), prlimit: process.platform === "linux" && ok("prlimit", ["--as=unlimited", "true"]),
      setpriv: process.platform === "linux" && ok("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]),
    };
  }
  return probed;
}

/** What isolation this machine gives the sandbox (for the report and the README's claims). */
export function sandboxIsolation(): { permissionModel: true; ownUser: boolean; noNetwork: boolean; limits: boolean } {
  const t = tools();
  return { permissionModel: true, ownUser: process.getuid?.() === 0 && t.setpriv, noNetwork: t.unshare, limits: t.prlimit };
}

/** Compiles the sandbox's own code into the run folder (grader/sandbox/runner.js etc.), beside the staged lib/. */
export function stageRunner(runDir: string): void {
  const { compileCached } = require("../register.js") as { compileCached(src: string, file: string): string };
  for (const rel of RUNNER_SOURCES) {
    const src = path.join(ROOT, rel);
    const dest = path.join(runDir, rel.replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    // The runner's imports reach lib/support and the watchdog by relative paths that hold in the run folder too.
    fs.writeFileSync(dest, compileCached(fs.readFileSync(src, "utf8"), src));
  }
}

/** Whether user `nobody` can reach `dir` (every folder above it searchable by others). */
function othersCanReach(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if ((fs.statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (path.dirname(d) === d) return true;
  }
}

/** Run as `nobody`: only as root, with setpriv, and when nobody can read the workspace and node_modules (a kit under /root cannot). */
function dropUser(runDir: string): boolean {
  return process.getuid?.() === 0 && tools().setpriv && othersCanReach(runDir) && othersCanReach(fs.realpathSync(path.join(ROOT, "node_modules")));
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where there is no /proc. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Where a sandbox's time went (for `npm run grade -- --profile`). */
export interface SandboxStats {
  /** Processes started, and the wall time and CPU seconds until each said "ready" (node, tfjs, wasm). */
  starts: number;
  startMs: number;
  startCpu: number;
  /** CPU seconds of the sandbox processes in all (start-up included). */
  cpu: number;
  /** Calls into the student's code. */
  calls: number;
  /** Exercises graded in an already running process (reused after a clean exercise). */
  reused: number;
}

let channelCounter = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

type Reply = Record<string, unknown>;

/** One sandbox process and the bookkeeping of what both sides hold. */
export class Sandbox {
  private child?: ChildProcess;
  private pid?: number;
  private reqFd = -1;
  private repFd = -1;
  private reader = new FrameReader();
  private buf = Buffer.alloc(1 << 16);
  private reg = new Registry(1);
  /** Tensors both sides hold, by id (the judge's sent ones and the sandbox's received ones). */
  private shared = new Map<number, tf.Tensor>();
  private callbacks = new Map<number, Function>();
  private callbackIds = new WeakMap<Function, number>();
  /** Stand-ins for tensors the student's code left behind in the sandbox (so the judge's tf.memory() counts them). */
  private placeholders: tf.Tensor[] = [];
  private loaded = new Map<string, RemoteModule>();
  private notesSeen: SandboxNote[] = [];
  private readonly dir: string;
  /** Modules loaded so far (reloaded after a restart), with their load budgets. */
  private loadedNames = new Map<string, number>();
  restarts = 0;
  static readonly MAX_RESTARTS = 3;
  /** Why the last call failed at the process level (crash, unanswered, protocol). */
  lastCrash?: string;
  /** Why the last nextExercise() did not keep the process (for --profile). */
  lastDiscard?: string;
  private cpuOfStopped = 0;
  private statsNow: Omit<SandboxStats, "cpu"> = { starts: 0, startMs: 0, startCpu: 0, calls: 0, reused: 0 };

  constructor(private readonly opts: SandboxOptions) {
    // One channel folder per sandbox: several workers grade exercises of one run folder at once.
    this.dir = path.join(opts.runDir, "channels", `${process.pid}-${++channelCounter}`);
  }

  /** Everything the sandbox noted so far (deduplicated). */
  get notes(): readonly SandboxNote[] {
    return this.notesSeen;
  }

  private command(): { cmd: string; args: string[] } {
    const o = this.opts;
    // Modules are read at their real path (node_modules may be a link); Node 20 aborts on a path given twice.
    const modulesDirs = [...new Set([path.join(ROOT, "node_modules"), fs.realpathSync(path.join(ROOT, "node_modules"))])];
    const node = [
      "--experimental-permission",
      `--allow-fs-read=${path.join(o.runDir, "lib")}`,
      `--allow-fs-read=${path.join(o.runDir, "grader")}`,
      `--allow-fs-read=${path.join(this.dir, "req")}`,
      ...modulesDirs.map((d) => `--allow-fs-read=${d}`),
      `--allow-fs-write=${path.join(this.dir, "rep")}`,
      `--max-old-space-size=${o.heapMb ?? 1024}`,
      "--wasm-max-mem-pages=16384",
      "--no-warnings",
      "--stack-size=984",
      path.join(o.runDir, RUNNER_REL),
      path.join(this.dir, "req"),
      path.join(this.dir, "rep"),
    ];
    const t = tools();
    let cmd = process.execPath;
    let args = node;
    if (t.prlimit) {
      const as = (ADDRESS_SPACE_BASE_MB + (o.memoryMb ?? DEFAULT_MEMORY_MB)) * 1024 * 1024;
      args = [`--as=${as}`, `--cpu=${o.cpuSeconds ?? 600}`, `--fsize=${16 << 20}`, "--nofile=256", "--core=0", "--", cmd, ...args];
      cmd = "prlimit";
    }
    if (dropUser(o.runDir)) {
      // The throwaway user: it cannot signal the grader, nor write the kit's root-owned files.
      args = ["--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", "--", cmd, ...args];
      cmd = "setpriv";
    }
    if (t.unshare) {
      args = ["-n", "--", cmd, ...args];
      cmd = "unshare";
    }
    return { cmd, args };
  }

  /** Where this sandbox's time went so far (every process it started). */
  get stats(): SandboxStats {
    return { ...this.statsNow, cpu: this.cpuOfStopped + (this.child ? processCpuSeconds(this.pid) ?? 0 : 0) };
  }

  /** Starts the process and waits (synchronously) for its "ready". Throws SandboxCrash when it cannot start. */
  start(): void {
    this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    const req = path.join(this.dir, "req");
    const rep = path.join(this.dir, "rep");
    const made = spawnSync("mkfifo", ["-m", "0600", req, rep], { stdio: "ignore" });
    if (made.status !== 0) throw new Error("the sandbox needs mkfifo (coreutils)");
    const asRoot = dropUser(this.opts.runDir);
    const uid = 65534;
    if (asRoot) {
      // The throwaway user reads the workspace (world-readable) and writes only its reply FIFO.
      fs.chownSync(rep, uid, uid);
      fs.chmodSync(req, 0o644);
    }
    this.repFd = fs.openSync(rep, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    this.reqFd = fs.openSync(req, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const log = fs.openSync(path.join(this.dir, "stderr.log"), "w");
    const { cmd, args } = this.command();
    const child = spawn(cmd, args, {
      stdio: ["ignore", "ignore", log],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_ENV: "production", LAB_BACKEND: "wasm", HOME: os.tmpdir() },
      cwd: this.opts.runDir,
    });
    fs.closeSync(log);
    child.on("error", () => undefined);
    this.child = child;
    this.pid = child.pid;
    this.reader = new FrameReader();
    this.reg = new Registry(1);
    this.shared.clear();
    this.callbacks.clear();
    this.placeholders = [];
    const t0 = Date.now();
    const ready = this.receive(Date.now() + (this.opts.startMs ?? 60_000), true);
    if (ready.op !== "ready") throw new SandboxCrash(`the sandbox did not start: ${this.stderrTail()}`);
    this.statsNow.starts++;
    this.statsNow.startMs += Date.now() - t0;
    this.statsNow.startCpu += processCpuSeconds(this.pid) ?? 0;
  }

  private stderrTail(): string {
    try {
      const t = fs.readFileSync(path.join(this.dir, "stderr.log"), "utf8");
      return t.slice(-2000).trim() || "(no output)";
    } catch {
      return "(no output)";
    }
  }

  get alive(): boolean {
    return this.child !== undefined;
  }

  /** Kills the process (and anything it started) and closes the channel. */
  stop(): void {
    if (this.child) {
      this.cpuOfStopped += processCpuSeconds(this.pid) ?? 0;
      try {
        this.child.kill("SIGKILL");
      } catch {
        // gone
      }
      this.child = undefined;
    }
    for (const fd of [this.reqFd, this.repFd]) {
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          // closed
        }
      }
    }
    this.reqFd = this.repFd = -1;
    tf.dispose(this.placeholders);
    this.placeholders = [];
  }

  /** stop(), then waits (at most `ms`) until the process has exited and been reaped. */
  stopAndWait(ms: number): Promise<void> {
    const child = this.child;
    this.stop();
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private processGone(): boolean {
    if (this.pid === undefined) return true;
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state === "Z" || state === "X";
    } catch {
      return process.platform === "linux";
    }
  }

  private crash(why: string): never {
    this.lastCrash = why;
    this.stop();
    throw new SandboxCrash(why);
  }

  private send(message: unknown): void {
    const b = frame(message);
    let off = 0;
    const deadline = Date.now() + 30_000;
    while (off < b.length) {
      try {
        off += fs.writeSync(this.reqFd, b, off, b.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") this.crash("the sandbox's request channel broke");
        if (Date.now() > deadline || this.processGone()) this.crash("the sandbox stopped reading requests");
        sleepMs(1);
      }
    }
  }

  /** The next message; `starting`: end-of-file only means the runner has not opened its end yet. */
  private receive(deadline: number, starting = false): Reply {
    let idle = 0;
    for (;;) {
      let m: unknown;
      try {
        m = this.reader.next();
      } catch (e) {
        this.crash(`the sandbox sent a malformed reply (${(e as Error).message})`);
      }
      if (m !== undefined) {
        if (m === null || typeof m !== "object") this.crash("the sandbox sent a malformed reply");
        return m as Reply;
      }
      let n = -1;
      try {
        n = fs.readSync(this.repFd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") this.crash("the sandbox's reply channel broke");
      }
      if (n > 0) {
        this.reader.push(Buffer.from(this.buf.subarray(0, n)));
        idle = 0;
        continue;
      }
      if (n === 0 && !starting) this.crash("the submission's process ended (process.exit, a crash, or a memory or CPU limit)");
      if (Date.now() > deadline) {
        this.crash(starting ? `the sandbox did not start in time: ${this.stderrTail()}` : "the submission's process stopped answering (it was killed)");
      }
      if (++idle % 64 === 0 && this.processGone()) {
        this.crash(starting ? `the sandbox did not start: ${this.stderrTail()}` : "the submission's process ended (process.exit, a crash, or a memory or CPU limit)");
      }
      // Spin briefly (most replies come within a millisecond), then sleep.
      if (idle > 20) sleepMs(idle > 200 ? 2 : 0.2);
    }
  }

  private noteAll(notes: unknown): void {
    if (!Array.isArray(notes)) return;
    for (const n of notes.slice(0, 50)) {
      const kind = (n as SandboxNote)?.kind;
      const what = String((n as SandboxNote)?.what ?? "").slice(0, 300);
      if (kind !== "patched" && kind !== "timer" && kind !== "denied") continue;
      if (!this.notesSeen.some((x) => x.kind === kind && x.what === what) && this.notesSeen.length < 50) this.notesSeen.push({ kind, what });
    }
  }

  private callbackId(f: Function): number {
    let id = this.callbackIds.get(f);
    if (id === undefined) {
      id = this.callbacks.size + 1;
      this.callbackIds.set(f, id);
      this.callbacks.set(id, f);
    }
    return id;
  }

  private encodeArgs(args: unknown[]): Enc[] {
    return args.map((a) =>
      encode(a, {
        reg: this.reg,
        receiverHas: (id) => {
          const t = this.shared.get(id);
          return t !== undefined && !t.isDisposed;
        },
        onSent: (id, t) => this.shared.set(id, t),
        fn: (f) => this.callbackId(f),
      }),
    );
  }

  /** What the sandbox must mirror before a call: tensors the judge disposed, the judge's open tfjs scopes. */
  private syncOut(): { disposed: number[]; scopes: number[] } {
    const disposed: number[] = [];
    for (const [id, t] of this.shared) {
      if (t.isDisposed) {
        disposed.push(id);
        this.shared.delete(id);
        this.reg.forget(id);
      }
    }
    const state = (tf.engine() as unknown as { state: { scopeStack: { id: number }[] } }).state;
    return { disposed, scopes: state.scopeStack.map((s) => s.id) };
  }

  /** Mirrors what the student's code did to the judge's arguments (disposed tensors, changed params objects). */
  private syncIn(sync: unknown): void {
    const s = (sync ?? {}) as { disposed?: unknown; objects?: unknown };
    if (Array.isArray(s.disposed)) {
      for (const id of s.disposed) {
        const t = this.shared.get(id as number);
        if (t && !t.isDisposed) t.dispose();
      }
    }
    if (Array.isArray(s.objects)) {
      for (const entry of s.objects) {
        if (!Array.isArray(entry)) throw new ProtocolError("a malformed object update");
        this.decodeValue(entry[1], true);
      }
    }
  }

  private decodeValue(v: unknown, updateInPlace = false): unknown {
    return decode(v, { reg: this.reg, updateInPlace, onTensor: (id, t) => this.shared.set(id, t) });
  }

  /** Serves the sandbox's callbacks (the judge's functions, swapped reference blocks) until the reply of the current request arrives. */
  private await(deadline: number): Reply {
    for (;;) {
      const m = this.receive(deadline);
      if (m.op !== "callback") return m;
      this.send(this.serveCallback(m));
    }
  }

  private serveCallback(m: Reply): unknown {
    const target = (m.target ?? {}) as { fn?: unknown; swap?: unknown; vjp?: unknown };
    const f: Function | undefined =
      typeof target.swap === "string" ? currentSwaps()[target.swap] : typeof target.vjp === "string" ? currentSwaps()[target.vjp] : this.callbacks.get(Number(target.fn));
    if (typeof f !== "function") return { op: "callback-result", ok: false, error: encodeError(new Error("no such callback")) };
    // Everything made here (the argument copies, the result) is freed once the result is encoded.
    tf.engine().startScope();
    try {
      const args = (Array.isArray(m.args) ? m.args : []).map((a) => decode(a, { reg: new Registry(1), onTensor: () => undefined }));
      // The backward pass of a swapped reference block inside the sandbox's tf.grads: its gradients, one per input tensor (u: none).
      const value = typeof target.vjp === "string" ? referenceVjp(f, args, Array.isArray(m.dys) ? m.dys : []) : f(...args);
      return { op: "callback-result", ok: true, value: encode(value, { reg: new Registry(1), receiverHas: () => false }) };
    } catch (e) {
      return { op: "callback-result", ok: false, error: encodeError(e) };
    } finally {
      tf.engine().endScope();
    }
  }

  /**
   * After the submission's process died (or was killed) during a check: a fresh process with the
   * same modules loaded, so that the death costs only that check. At most MAX_RESTARTS times.
   */
  revive(fn: string): void {
    if (this.restarts >= Sandbox.MAX_RESTARTS) throw new StudentError(fn, new SandboxCrash(`${this.lastCrash ?? "the submission's process ended"} (not restarted again)`));
    this.restarts++;
    try {
      this.start();
      for (const [m, budget] of this.loadedNames) {
        this.send({ op: "load", module: m, budgetMs: budget });
        const r = this.await(Date.now() + budget + 5000);
        this.noteAll(r.notes);
        if (!r.ok) throw new SandboxCrash(`reloading lib/${m}.ts after a restart failed`);
      }
    } catch (e) {
      this.stop();
      throw new StudentError(fn, e instanceof SandboxCrash ? e : new SandboxCrash(String(e)));
    }
  }

  /** Loads the student's module `m` in the sandbox (starting it if needed); the outcome of the load. */
  load(m: string, budgetMs: number): { ok: true; module: RemoteModule } | { ok: false; timeout: boolean; error?: unknown } {
    if (!this.alive) this.start();
    this.send({ op: "load", module: m, budgetMs });
    const r = this.await(Date.now() + budgetMs + 5000);
    this.noteAll(r.notes);
    if (!r.ok) return { ok: false, timeout: r.kind === "timeout", error: r.kind === "timeout" ? undefined : decodeError(r.error) };
    this.loadedNames.set(m, budgetMs);
    const mod = this.moduleFrom(m, r.exports);
    return { ok: true, module: mod };
  }

  /** The student's module `m` if the sandbox has loaded it (directly or through another module's imports). */
  module(m: string): RemoteModule | undefined {
    const known = this.loaded.get(m);
    if (known) return known;
    if (!this.alive) return undefined;
    this.send({ op: "exports", module: m });
    const r = this.await(Date.now() + 10_000);
    if (!r.loaded) return undefined;
    this.loadedNames.set(m, 10_000);
    return this.moduleFrom(m, r.exports);
  }

  private moduleFrom(m: string, exportsDesc: unknown): RemoteModule {
    const desc = (exportsDesc ?? {}) as Record<string, unknown>;
    const mod: RemoteModule = {};
    for (const [k, v] of Object.entries(desc)) {
      if (v === "function") mod[k] = this.remoteFunction(m, k);
      else mod[k] = this.decodeValue(v);
    }
    Object.defineProperty(mod, REMOTE, { value: { sandbox: this, module: m } });
    this.loaded.set(m, mod);
    return mod;
  }

  private remoteFunction(m: string, fn: string): (...args: unknown[]) => unknown {
    const sb = this;
    return function remote(...args: unknown[]): unknown {
      if (!sb.alive) sb.revive(fn);
      const engine = tf.engine() as unknown as { state: { gradientDepth: number; kernelDepth: number } };
      if (engine.state.gradientDepth > 0 && engine.state.kernelDepth === 0) return sb.callWithGradient(m, fn, args);
      return sb.call(m, fn, args);
    };
  }

  /** Limits of the current check (set by the guard, see guardRemote). */
  deadline = Number.POSITIVE_INFINITY;
  limitMs = 10_000;

  private budget(fn: string): number {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) throw new WatchdogTimeout(fn, this.limitMs);
    return Math.min(remaining, 10 * 60_000);
  }

  private outcome(fn: string, r: Reply): void {
    this.noteAll(r.notes);
    if (typeof r.protocol === "string") this.crash(`the sandbox could not run the call: ${r.protocol}`);
    this.syncIn(r.sync);
    if (r.timeout) throw new WatchdogTimeout(fn, this.limitMs);
    if (!r.ok) throw new StudentError(fn, decodeError(r.error));
  }

  private countLeaks(leaked: unknown): void {
    const n = Number(leaked);
    if (!Number.isInteger(n) || n === 0) return;
    if (n > 0) for (let i = 0; i < Math.min(n, 100_000); i++) this.placeholders.push(tf.scalar(0));
    else tf.dispose(this.placeholders.splice(0, Math.min(-n, this.placeholders.length)).filter((t) => !t.isDisposed));
    this.placeholders = this.placeholders.filter((t) => !t.isDisposed);
  }

  call(m: string, fn: string, args: unknown[]): unknown {
    this.statsNow.calls++;
    const budgetMs = this.budget(fn);
    let r: Reply;
    try {
      this.send({ op: "call", module: m, fn, args: this.encodeArgs(args), sync: this.syncOut(), swaps: Object.keys(currentSwaps()), budgetMs });
      r = this.await(Date.now() + budgetMs + 5000);
    } catch (e) {
      if (e instanceof SandboxCrash) throw new StudentError(fn, e);
      throw e;
    }
    this.outcome(fn, r);
    this.countLeaks(r.leaked);
    return this.decodeValue(r.value);
  }

  /** A call inside the judge's tf.grads: the forward pass as usual, the backward pass in the sandbox (gradient-bridge.ts). */
  private callWithGradient(m: string, fn: string, args: unknown[]): unknown {
    // The judge's own inputs stay alive through its tf.grads, and the sandbox knows them by id: the originals, not tfjs's saved copies.
    const inputs = tensorsIn(args);
    return bridgeGradients(args, () => this.call(m, fn, args), (dys) => this.gradients(m, fn, args, inputs, dys));
  }

  private gradients(m: string, fn: string, args: unknown[], wrt: tf.Tensor[], dys: (tf.Tensor | null)[]): tf.Tensor[] {
    const budgetMs = this.budget(fn);
    const tmp = new Registry(1);
    let r: Reply;
    try {
      this.send({
        op: "grads",
        module: m,
        fn,
        args: this.encodeArgs(args),
        wrt: wrt.map((t) => this.reg.ids.get(t)),
        dys: dys.map((d) => (d ? encode(d, { reg: tmp, receiverHas: () => false }) : null)),
        sync: this.syncOut(),
        swaps: Object.keys(currentSwaps()),
        budgetMs,
      });
      r = this.await(Date.now() + budgetMs + 5000);
    } catch (e) {
      if (e instanceof SandboxCrash) throw new StudentError(fn, e);
      throw e;
    }
    this.outcome(fn, r);
    const gs = Array.isArray(r.value) ? r.value.map((g) => this.decodeValue(g)) : undefined;
    if (!Array.isArray(gs) || gs.length !== wrt.length || !gs.every((g) => g instanceof tf.Tensor || g === undefined)) throw new StudentError(fn, new Error("the gradients could not be read"));
    // An input with no gradient in the sandbox (a mask the judge does not differentiate): zeros.
    return gs.map((g, i) => (g instanceof tf.Tensor ? g : tf.zerosLike(wrt[i])));
  }

  /**
   * Gets this sandbox ready for the next exercise of the same submission without a new process
   * (start-up is most of a sandbox's cost): the process forgets the last exercise's tensors,
   * objects and the student's modules, and says whether it is now as fresh as a new process —
   * nothing noted (patched built-ins, timers, refused operations), no global, prototype, tfjs
   * flag, kernel or support export changed, no tensor left. Returns false, with the process
   * stopped, when it is not (the caller then starts a new one), or when it crashed, was
   * restarted or stopped answering during the last exercise.
   */
  nextExercise(): boolean {
    const discard = (why: string) => {
      this.lastDiscard = why;
      this.stop();
      return false;
    };
    if (!this.alive) return discard("not running");
    if (this.restarts > 0) return discard("restarted during the last exercise");
    if (this.notesSeen.length > 0) return discard(`noted: ${this.notesSeen[0].kind} ${this.notesSeen[0].what}`);
    let r: Reply;
    try {
      this.send({ op: "next-exercise" });
      r = this.await(Date.now() + 10_000);
    } catch (e) {
      return discard(e instanceof SandboxCrash ? e.message : String(e));
    }
    if (r.ok !== true || r.fresh !== true) return discard(typeof r.why === "string" ? r.why.slice(0, 200) : "not fresh");
    // The judge's side of the bookkeeping, afresh too.
    this.reg = new Registry(1);
    this.shared.clear();
    this.callbacks.clear();
    this.callbackIds = new WeakMap();
    tf.dispose(this.placeholders);
    this.placeholders = [];
    this.loaded.clear();
    this.loadedNames.clear();
    this.lastCrash = undefined;
    this.deadline = Number.POSITIVE_INFINITY;
    this.limitMs = 10_000;
    this.statsNow.reused++;
    return true;
  }
}

const REMOTE = Symbol.for("attention-lab.remote-module");

export type RemoteModule = Record<string, unknown>;

/** The sandbox behind a stand-in module, if `m` is one. */
export function remoteOf(m: unknown): Sandbox | undefined {
  if (m === null || typeof m !== "object") return undefined;
  return (m as Record<symbol, { sandbox: Sandbox } | undefined>)[REMOTE]?.sandbox;
}

/**
 * The watchdog's counterpart for a stand-in module: calls share the check's deadline (the
 * sandbox's own watchdog stops the student's code; the judge waits a little longer), and what the
 * student's code throws arrives as a StudentError, like guardModule's.
 */
export function guardRemote<M>(mod: M, deadline: number, limitMs: number): M {
  const sb = remoteOf(mod) as Sandbox;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(mod as Record<string, unknown>)) {
    if (typeof value !== "function") {
      out[name] = value;
      continue;
    }
    const f = value as (...a: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      const saved = [sb.deadline, sb.limitMs];
      sb.deadline = deadline;
      sb.limitMs = limitMs;
      try {
        return f(...args);
      } finally {
        [sb.deadline, sb.limitMs] = saved;
      }
    };
  }
  Object.defineProperty(out, REMOTE, { value: { sandbox: sb } });
  return out as M;
}


/** The sandbox's notes in words for the report's flags. */
export function describeNotes(notes: readonly SandboxNote[]): string[] {
  const out: string[] = [];
  const patched = notes.filter((n) => n.kind === "patched").map((n) => n.what);
  if (patched.length > 0) out.push(`replaced built-in or library functions: ${patched.slice(0, 8).join(", ")}${patched.length > 8 ? " …" : ""}`);
  for (const n of notes.filter((x) => x.kind === "denied")) {
    const [perm, resource] = n.what.split("|");
    const solutions = /solutions/.test(resource ?? "");
    out.push(`tried ${perm || "a forbidden operation"}${resource ? ` on ${resource.replace(ROOT + path.sep, "")}` : ""} (refused${solutions ? ": reading the reference is not allowed" : ""})`);
  }
  if (notes.some((n) => n.kind === "timer")) out.push("started a timer or interval (it never runs while grading)");
  return out;
}

/** Exercise name helper for messages. */
export function shownModule(id: string): string {
  return `lib/${findExercise(id).module}.ts`;
}

/**
 * The gradients of sum_i <output_i, dy_i> through a reference block (the judge's side of a
 * swapped block in the sandbox's tf.grads), with respect to every tensor of its arguments; an
 * input without one (a mask) gets undefined, which the sandbox turns into zeros.
 */
function referenceVjp(f: Function, args: unknown[], encodedDys: unknown[]): (tf.Tensor | undefined)[] {
  const dys = encodedDys.map((d) => (d === null ? null : (decode(d, { reg: new Registry(1), onTensor: () => undefined }) as tf.Tensor)));
  const wrt = tensorsIn(args);
  const loss = vjpLoss(() => f(...args), dys);
  return outsideTape(() => {
    try {
      return tf.grads(loss)(wrt);
    } catch {
      return wrt.map((x) => {
        try {
          return tf.grads(loss)([x])[0];
        } catch {
          return undefined;
        }
      });
    }
  });
}
