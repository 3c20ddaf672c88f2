/**
 * The fast path's WebAssembly kernels (kernels.c), instantiated on the tfjs wasm backend's own
 * memory, and the pointer plumbing the tfjs kernels in kernels.ts use.
 *
 * The module imports the backend's WebAssembly.Memory, so a tensor's data is read and written
 * where tfjs keeps it: no copies in or out. Memory growth is safe (the module and tfjs share the
 * same Memory object, and pointers are offsets).
 */
import * as tf from "@tensorflow/tfjs";
import * as v8 from "v8";
import { KERNELS_WASM_BASELINE, KERNELS_WASM_RELAXED } from "./kernels-wasm";

/** The exports of kernels.c; every pointer is a byte offset into the backend's memory. */
export interface KernelExports {
  matmul(
    a: number, b: number, c: number, m: number, n: number, k: number, nb1: number, nb2: number,
    sa1: number, sa2: number, sam: number, sak: number,
    sb1: number, sb2: number, sbk: number, sbn: number,
    sc1: number, sc2: number, scm: number, alpha: number, bias: number, flags: number, scratch: number,
  ): void;
  softmax_backward(p: number, dp: number, rows: number, n: number): void;
  attention_forward(
    q: number, k: number, v: number, p: number, o: number, nb: number, h: number, tq: number, tk: number, dh: number,
    sqb: number, sqr: number, skb: number, skr: number, svb: number, svr: number, sob: number, sor: number, scale: number,
    causal: number, causalOffset: number, keyValid: number, scratch: number,
  ): void;
  layernorm_forward(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, n: number, d: number, eps: number): void;
  layernorm_backward(dy: number, x: number, gamma: number, mean: number, rstd: number, dx: number, dgamma: number, dbeta: number, n: number, d: number): void;
  column_sum(x: number, out: number, n: number, d: number, stride: number): void;
  copy_f32(src: number, dst: number, n: number): void;
  relu_backward(dy: number, y: number, dx: number, n: number): void;
  embedding_forward(ids: number, table: number, out: number, n: number, d: number, v: number): void;
  embedding_backward(ids: number, dy: number, dtable: number, n: number, d: number, v: number): void;
  cross_entropy(logits: number, targets: number, n: number, v: number, ignore: number, dlogits: number, out: number): void;
  adam_step(p: number, g: number, m: number, v: number, pOut: number, n: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, bc1: number, bc2: number): void;
  gru_forward(xw: number, wh: number, bh: number, h0: number, valid: number, states: number, saved: number, b: number, t: number, h: number, scratch: number): void;
  gru_backward(dstates: number, states: number, saved: number, h0: number, valid: number, wh: number, dxw: number, dwh: number, dbh: number, dh0: number, b: number, t: number, h: number, scratch: number): void;
}

/**
 * The WebAssembly API, typed here: tslab compiles notebooks without the DOM library, which is
 * where TypeScript declares WebAssembly's types ("Namespace 'WebAssembly' has no exported member
 * 'Memory'"), so this file must not name them.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const FLAG_ACCUMULATE = 1;
export const FLAG_RELU = 2;

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use (not in its public typings). */
export interface WasmBackend {
  wasm: {
    asm?: { memory?: WasmMemory };
    wasmMemory?: WasmMemory;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number; shape: number[]; dtype: string } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

let cached: { memory: WasmMemory; exports: KernelExports } | undefined;
let chosen: { variant: KernelVariant; module: WasmModule } | undefined;

/**
 * "relaxed": the matrix product uses fused multiply-adds (WebAssembly relaxed SIMD, which Node
 * 20's V8 has behind --experimental-wasm-relaxed-simd; it is switched on here before the module
 * is compiled). "baseline": plain SIMD128, used when the engine refuses relaxed SIMD or when
 * LAB_WASM_RELAXED=0. Results differ only in float rounding (a fused multiply-add rounds once).
 */
export type KernelVariant = "relaxed" | "baseline";

function compile(): { variant: KernelVariant; module: WasmModule } {
  if (chosen) return chosen;
  const relaxed = Buffer.from(KERNELS_WASM_RELAXED, "base64");
  if ((process.env.LAB_WASM_RELAXED ?? "1").trim() !== "0") {
    if (!WA.validate(relaxed)) {
      try {
        v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      } catch {
        // an engine without the flag: the baseline module it is
      }
    }
    if (WA.validate(relaxed)) return (chosen = { variant: "relaxed", module: new WA.Module(relaxed) });
  }
  return (chosen = { variant: "baseline", module: new WA.Module(Buffer.from(KERNELS_WASM_BASELINE, "base64")) });
}

/**
 * Tests only: switch the build of the kernels (both are checked against plain tfjs). Kernels
 * bound earlier are dropped, so the next kernel call instantiates the requested build.
 */
export function useKernelVariantForTests(variant: KernelVariant): void {
  if (variant === "relaxed") {
    chosen = undefined;
    if (compile().variant !== "relaxed") throw new Error("useKernelVariantForTests: this engine refuses relaxed SIMD");
  } else {
    chosen = { variant, module: new WA.Module(Buffer.from(KERNELS_WASM_BASELINE, "base64")) };
  }
  cached = undefined;
}

/** Which build of the kernels runs (see KernelVariant). */
export function kernelVariant(): KernelVariant {
  return compile().variant;
}

/** The kernels, bound to `backend`'s memory (instantiated once per backend memory). */
export function kernelsFor(backend: WasmBackend): KernelExports {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!(memory instanceof WA.Memory)) {
    throw new Error("fast path: cannot find the tfjs wasm backend's WebAssembly.Memory (tfjs-backend-wasm internals changed?)");
  }
  if (cached?.memory !== memory) {
    const instance = new WA.Instance(compile().module, { env: { memory } });
    cached = { memory, exports: instance.exports as unknown as KernelExports };
  }
  return cached.exports;
}

/** For profiling scripts only: replace the bound exports (e.g. with timing wrappers). */
export function __setExportsForProfiling(exports: KernelExports): void {
  if (cached) cached = { memory: cached.memory, exports };
}

/** Byte offset of a tensor's data in the backend's memory. */
export function ptr(backend: WasmBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * Scratch memory for one kernel call: run `f` with `floats` floats of uninitialised memory, freed
 * afterwards (also when f throws).
 */
export function withScratch<T>(backend: WasmBackend, floats: number, f: (scratch: number) => T): T {
  if (floats <= 0) return f(0);
  const p = backend.wasm._malloc(floats * 4) >>> 0;
  try {
    return f(p);
  } finally {
    backend.wasm._free(p);
  }
}

/** True when the fast kernels can run: the active backend is tfjs's wasm backend. */
export function fastAvailable(): boolean {
  return tf.getBackend() === "wasm";
}
