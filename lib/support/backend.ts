/**
 * Backend set-up: the one call every notebook, test and benchmark makes before using tensors.
 *
 * tfjs-backend-wasm (SIMD, one thread in Node) is the default; the pure-JS "cpu" backend is the
 * fallback. Choose explicitly with setupBackend("cpu") or LAB_BACKEND=cpu.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export type BackendName = "wasm" | "cpu";

export interface BackendInfo {
  backend: BackendName;
  tfjsVersion: string;
  simd: boolean;
  node: string;
}

function requestedBackend(): BackendName {
  const env = (process.env.LAB_BACKEND ?? "").trim();
  if (env === "" || env === "wasm") return "wasm";
  if (env === "cpu") return "cpu";
  throw new Error(`setupBackend: LAB_BACKEND must be "wasm" or "cpu", got "${env}"`);
}

/**
 * Selects the backend (wasm by default, falling back to cpu), silences the Node banner and
 * returns what is in use. Prints one line unless `quiet`. Safe to call again.
 */
export async function setupBackend(
  preferred: BackendName = requestedBackend(),
  opts: { quiet?: boolean } = {},
): Promise<BackendInfo> {
  tf.enableProdMode(); // also silences the "running TensorFlow.js in Node.js" banner
  let backend: BackendName = preferred;
  if (tf.getBackend() !== preferred || !tf.findBackend(preferred)) {
    let ok = false;
    try {
      ok = await tf.setBackend(preferred);
    } catch {
      ok = false;
    }
    if (!ok) {
      if (preferred === "cpu" || !(await tf.setBackend("cpu"))) {
        throw new Error(`setupBackend: could not initialise the "${preferred}" backend nor the "cpu" fallback`);
      }
      backend = "cpu";
      if (!opts.quiet) console.log(`setupBackend: the "${preferred}" backend failed to start; using "cpu" instead`);
    }
  }
  await tf.ready();
  const simd = backend === "wasm" ? Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) : false;
  const info: BackendInfo = { backend, tfjsVersion: tf.version.tfjs, simd, node: process.version };
  if (!opts.quiet) {
    const detail = backend === "wasm" ? ` (SIMD ${simd ? "on" : "off"}, 1 thread)` : " (pure JavaScript)";
    console.log(`TensorFlow.js ${info.tfjsVersion} · backend ${backend}${detail} · Node ${info.node}`);
  }
  return info;
}
