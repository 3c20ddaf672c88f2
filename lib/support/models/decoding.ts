/**
 * Shared pieces of the DecodingModel implementations (lib/support/types.ts) of the model
 * families: the special tokens they report, input checks and row selection.
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import type { DecoderState } from "../types";

/** The special token ids a DecodingModel reports. */
export interface DecodingTokens {
  bosId: number;
  eosId: number;
  padId: number;
}

/** Rows of a state (the first axis of its tensors); throws for something that is not a state. */
export function stateRows(fn: string, state: DecoderState, keys: readonly string[] = []): number {
  const values = state && typeof state === "object" ? Object.values(state) : [];
  const first = values[0];
  if (!(first instanceof tf.Tensor) || !values.every((t) => t instanceof tf.Tensor) || keys.some((k) => !(state[k] instanceof tf.Tensor))) {
    throw new LabInputError(`${fn}: the state must be the object of tensors that start, step or selectRows returned${keys.length ? ` (with ${keys.join(", ")})` : ""}`);
  }
  return first.shape[0];
}

/** Checks the tokens fed to a step: int32 [N], one per row of the state. */
export function checkStepTokens(fn: string, tokens: tf.Tensor, rows: number): void {
  if (!(tokens instanceof tf.Tensor) || tokens.dtype !== "int32" || tokens.rank !== 1 || tokens.shape[0] !== rows) {
    throw new LabInputError(`${fn}: tokens must be int32 [N] with N = ${rows} (one per row of the state), got ${tokens instanceof tf.Tensor ? `${tokens.dtype} ${fmtShape(tokens.shape)}` : typeof tokens}`);
  }
}

/**
 * Rows `rows` of t along its first axis: tf.gather(t, rows), the same values. On wasm the rows
 * are copied in JavaScript instead (one read of t, one copy per row): tfjs-wasm 4.22's gather
 * costs about 70 ns per value, and beam search selects every state tensor's rows at every step
 * (the Transformer's state at 500 beams: 4.1M values, 178 ms a step through tf.gather, several
 * times the step itself). Not differentiable, which a decoding state need not be.
 */
function takeRows(t: tf.Tensor, rows: readonly number[], index: () => tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== "wasm" || t.dtype === "string" || t.dtype === "complex64") return tf.gather(t, index());
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  const out = new (data.constructor as new (n: number) => Float32Array | Int32Array | Uint8Array)(rows.length * width);
  rows.forEach((r, i) => out.set(data.subarray(r * width, (r + 1) * width), i * width));
  return tf.tensor(out, [rows.length, ...t.shape.slice(1)], t.dtype);
}

/** Rows `rows` of every tensor of the state (tf.gather along the first axis), as new tensors. */
export function selectStateRows(fn: string, state: DecoderState, rows: readonly number[]): DecoderState {
  const n = stateRows(fn, state);
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => Number.isInteger(r) && r >= 0 && r < n)) {
    throw new LabInputError(`${fn}: rows must be a non-empty array of integers in [0, ${n}), got ${JSON.stringify(rows).slice(0, 80)}`);
  }
  return tf.tidy(() => {
    let index: tf.Tensor | undefined;
    const indexTensor = () => (index ??= tf.tensor1d(rows as number[], "int32"));
    return Object.fromEntries(Object.entries(state).map(([k, t]) => [k, takeRows(t, rows, indexTensor)]));
  }) as DecoderState;
}
