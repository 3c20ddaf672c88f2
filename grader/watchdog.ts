/**
 * Calling student code with a time limit.
 *
 * A test timeout cannot stop a synchronous infinite loop: the loop blocks the event loop that
 * would fire the timeout. V8 can, though: `vm.Script#runInThisContext({ timeout })` arms a
 * watchdog thread that terminates the running JavaScript, including code in functions defined in
 * other modules that the script calls. The termination skips every `finally` block on the way out,
 * so tf.tidy scopes the student opened are never closed; restoreEngine() closes them (disposing
 * their tensors) so later checks see a clean tfjs engine.
 */
import * as tf from "@tensorflow/tfjs";
import * as vm from "vm";

const CALL_SLOT = "__labWatchdogCall";
const script = new vm.Script(`globalThis.${CALL_SLOT}()`, { filename: "grader-watchdog.js" });

/** The student's code ran past its time limit. */
export class WatchdogTimeout extends Error {
  readonly fn: string;
  readonly limitMs: number;
  constructor(fn: string, limitMs: number) {
    super(`${fn} did not finish within ${limitMs} ms (an infinite loop?)`);
    this.name = "WatchdogTimeout";
    this.fn = fn;
    this.limitMs = limitMs;
  }
}

/** An exception thrown by a student's function, kept apart from the grader's own failures. */
export class StudentError extends Error {
  readonly fn: string;
  readonly original: unknown;
  constructor(fn: string, original: unknown) {
    super(`${fn} threw ${errorName(original)}: ${errorMessage(original)}`);
    this.name = "StudentError";
    this.fn = fn;
    this.original = original;
  }
}

// Recognised by name, not instanceof: extra-check files may hold another copy of this module.
export function isWatchdogTimeout(e: unknown): e is WatchdogTimeout {
  return e instanceof Error && e.name === "WatchdogTimeout";
}

/** See isWatchdogTimeout. */
export function isStudentError(e: unknown): e is StudentError {
  return e instanceof Error && e.name === "StudentError" && "original" in e;
}

/** The name of anything thrown ("Error", "RangeError", or the typeof of a non-Error). */
export function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

/** The message of anything thrown (students sometimes throw strings). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The parts of tfjs's engine state that a terminated tf.tidy leaves behind. */
interface EngineSnapshot {
  scopeDepth: number;
  kernelDepth: number;
  gradientDepth: number;
  dataMoves: number;
}

interface EngineStateLike {
  scopeStack: unknown[];
  kernelDepth: number;
  gradientDepth: number;
  numDataMovesStack: unknown[];
}

function engineState(): EngineStateLike {
  // `state` is not in tfjs's public typings but has been stable across 3.x and 4.x.
  return (tf.engine() as unknown as { state: EngineStateLike }).state;
}

/** Records the engine state to return to with restoreEngine. */
export function snapshotEngine(): EngineSnapshot {
  const s = engineState();
  return { scopeDepth: s.scopeStack.length, kernelDepth: s.kernelDepth, gradientDepth: s.gradientDepth, dataMoves: s.numDataMovesStack.length };
}

/** Closes scopes opened since `snap` (disposing their tensors) and resets the engine's counters. */
export function restoreEngine(snap: EngineSnapshot): void {
  const s = engineState();
  while (s.scopeStack.length > snap.scopeDepth) tf.engine().endScope();
  s.kernelDepth = snap.kernelDepth;
  s.gradientDepth = snap.gradientDepth;
  s.numDataMovesStack.length = Math.min(s.numDataMovesStack.length, snap.dataMoves);
}

function isVmTimeout(e: unknown): boolean {
  return e instanceof Error && (e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
}

/**
 * Runs `f` synchronously, terminating it after `timeoutMs`. On a timeout the engine is restored
 * and a WatchdogTimeout (naming `fn` and `limitMs`, the limit the student was promised) is thrown.
 */
export function callWithTimeout<T>(fn: string, f: () => T, timeoutMs: number, limitMs = timeoutMs): T {
  const g = globalThis as Record<string, unknown>;
  const previous = g[CALL_SLOT];
  const snap = snapshotEngine();
  g[CALL_SLOT] = f;
  try {
    return script.runInThisContext({ timeout: Math.max(1, Math.ceil(timeoutMs)) }) as T;
  } catch (e) {
    if (isVmTimeout(e)) {
      restoreEngine(snap);
      throw new WatchdogTimeout(fn, limitMs);
    }
    throw e;
  } finally {
    g[CALL_SLOT] = previous;
  }
}

/**
 * A copy of `mod` whose exported functions run under the watchdog, sharing one deadline (the
 * check's time budget), and whose exceptions come back wrapped in StudentError.
 */
export function guardModule<M>(mod: M, deadline: number, limitMs: number): M {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(mod as Record<string, unknown>)) {
    if (typeof value !== "function") {
      out[name] = value;
      continue;
    }
    const f = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new WatchdogTimeout(name, limitMs);
      try {
        return callWithTimeout(name, () => f(...args), remaining, limitMs);
      } catch (e) {
        if (isWatchdogTimeout(e)) throw e;
        throw new StudentError(name, e);
      }
    };
  }
  return out as M;
}
