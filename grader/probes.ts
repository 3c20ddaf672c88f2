/**
 * Evidence about a wrong result, for diagnose.ts: each probe compares what can be compared
 * (the attention weights as well as the output, which axis sums to 1, where the weight sits,
 * heads, columns, a constant factor, permuted axes) and words what it sees in one plain sentence.
 * A probe returns undefined when it sees nothing it can state; it never guesses a cause.
 *
 * Probes only read tensors (dataSync) and allocate nothing that outlives them (the diagnosis runs
 * them in a tfjs scope of its own).
 */
import * as tf from "@tensorflow/tfjs";
import { allClose, DEFAULT_TOL, fmtNum, fmtShape } from "./compare";
import type { Finding } from "./diagnose";

/** A tensor as plain numbers with its shape. */
export interface Arr {
  shape: number[];
  data: Float64Array;
}

export function arr(t: tf.Tensor): Arr {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync() as ArrayLike<number>) };
}

function isLive(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor && !x.isDisposed;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** "0", "0 and 2", "0, 2 and 5", "1–4", "0, 2–5 and 7": a set of indices, compactly. */
export function fmtIndices(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    parts.push(j >= i + 2 ? `${indices[i]}–${indices[j]}` : j === i + 1 ? `${indices[i]}, ${indices[j]}` : `${indices[i]}`);
    i = j;
  }
  if (parts.length === 1) return parts[0];
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= DEFAULT_TOL.atol + DEFAULT_TOL.rtol * Math.abs(b);
}

/** Per axis, the indices that hold at least one differing entry. */
function differingIndices(g: Arr, e: Arr): number[][] {
  const st = strides(g.shape);
  const sets = g.shape.map(() => new Set<number>());
  for (let i = 0; i < g.data.length; i++) {
    if (close(g.data[i], e.data[i])) continue;
    g.shape.forEach((n, d) => sets[d].add(Math.floor(i / st[d]) % n));
  }
  return sets.map((s) => [...s].sort((a, b) => a - b));
}

/** Transposes a row-major array by `perm`. */
function transposeArr(a: Arr, perm: readonly number[]): Arr {
  const shape = perm.map((p) => a.shape[p]);
  const st = strides(a.shape);
  const out = new Float64Array(a.data.length);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d] * st[perm[d]];
    out[i] = a.data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

function permutations(n: number): number[][] {
  if (n <= 1) return [[0]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

/**
 * Findings that hold for any tensor: a constant factor, the opposite sign, permuted axes, the same
 * values rearranged, or differences confined to some indices.
 */
export function tensorFinding(what: string, g: Arr, e: Arr): Finding | undefined {
  if (!sameShape(g.shape, e.shape) || g.data.length === 0) return undefined;
  let ge = 0;
  let ee = 0;
  for (let i = 0; i < g.data.length; i++) {
    ge += g.data[i] * e.data[i];
    ee += e.data[i] * e.data[i];
  }
  if (ee > 0) {
    const c = ge / ee;
    if (Math.abs(c - 1) > 1e-3 && allClose(g.data, e.data.map((x) => c * x))) {
      return Math.abs(c + 1) < 1e-3
        ? { problem: `your ${what} is the reference's with the opposite sign` }
        : { problem: `your ${what} is the reference's multiplied by a constant factor`, detail: `factor ${fmtNum(c)}` };
    }
  }
  if (g.shape.length >= 2 && g.shape.length <= 5) {
    for (const perm of permutations(g.shape.length)) {
      if (perm.every((p, i) => p === i)) continue;
      const t = transposeArr(e, perm);
      if (sameShape(t.shape, g.shape) && allClose(g.data, t.data)) {
        return { problem: `your ${what} is the reference's with its axes reordered`, detail: `your axes are the reference's axes [${perm.join(",")}]` };
      }
    }
  }
  const offset = perFeatureOffset(g, e);
  if (offset) return offset(what);
  const sg = [...g.data].sort((a, b) => a - b);
  const se = [...e.data].sort((a, b) => a - b);
  if (allClose(sg, se)) return { problem: `your ${what} holds the reference's values, but in a different arrangement` };
  const where = differingIndices(g, e);
  if (where.some((ix, d) => ix.length > 0 && ix.length < g.shape[d])) {
    const pattern = where.map((ix, d) => (ix.length === g.shape[d] ? ":" : fmtIndices(ix).replace(/ and |, /g, ","))).join(", ");
    return { problem: `only part of your ${what} differs from the reference: the entries [${pattern}]`, detail: `shape ${fmtShape(g.shape)}; the other entries match` };
  }
  return undefined;
}

/** g − e is the same at every position, feature by feature (the last axis), and not zero: e.g. a bias left out or added twice. */
function perFeatureOffset(g: Arr, e: Arr): ((what: string) => Finding) | undefined {
  const d = g.shape[g.shape.length - 1];
  const rows = g.data.length / d;
  if (rows < 2) return undefined;
  const off = [...Array(d).keys()].map((j) => g.data[j] - e.data[j]);
  if (off.every((o) => Math.abs(o) < 1e-4)) return undefined;
  for (let r = 1; r < rows; r++) for (let j = 0; j < d; j++) if (!close(g.data[r * d + j] - e.data[r * d + j], off[j])) return undefined;
  return (what) => ({
    problem: `your ${what} differs from the reference's by the same amount at every position, feature by feature (a constant per feature, as a bias left out or added would make)`,
    detail: `offsets ${off.slice(0, 4).map(fmtNum).join(", ")}${d > 4 ? ", …" : ""}`,
  });
}

/** The first part of a result (a tensor, or an object / array of tensors) that differs, with its name. */
export function firstDifferingPart(got: unknown, expected: unknown, name = "output"): { name: string; g: Arr; e: Arr } | undefined {
  if (expected instanceof tf.Tensor) {
    if (!isLive(got) || !sameShape(got.shape, expected.shape)) return undefined;
    const g = arr(got);
    const e = arr(expected);
    return allClose(g.data, e.data) ? undefined : { name, g, e };
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(got)) return undefined;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifferingPart(got[i], expected[i], `${name}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === "object" && got !== null && typeof got === "object") {
    for (const k of Object.keys(expected)) {
      const d = firstDifferingPart((got as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], k);
      if (d) return d;
    }
  }
  return undefined;
}

/** The generic finding for any result: the first part that differs, looked at with tensorFinding. */
export function genericFinding(got: unknown, expected: unknown): Finding | undefined {
  const d = firstDifferingPart(got, expected);
  return d ? tensorFinding(d.name, d.g, d.e) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Attention weights

export interface AttentionProbeOptions {
  /** What comes after the weights, for "the difference is in …": "output = weights·v". */
  after: string;
  /** The scale the reference applies to q·kᵀ, for the constant-factor finding: "1/√d_k = 0.354". */
  scale?: (args: never) => string | undefined;
  /** The mask (1 = attend) as numbers broadcast to the weights' shape, or undefined. */
  mask?: (args: never, weightsShape: number[]) => Float64Array | undefined;
  /** Name of axis 1 when the weights are [B, h, Tq, Tk] ("head"), for per-head findings. */
  headAxis?: boolean;
}

/** The mask broadcast to `shape` as numbers (the default for scaledDotProductAttention's mask). */
export function broadcastMask(mask: unknown, shape: number[]): Float64Array | undefined {
  if (!isLive(mask)) return undefined;
  const m = tf.tidy(() => tf.broadcastTo(tf.cast(tf.notEqual(mask, 0), "float32"), shape));
  const out = Float64Array.from(m.dataSync() as ArrayLike<number>);
  m.dispose();
  return out;
}

function rowsOf(a: Arr): { n: number; len: number } {
  const len = a.shape[a.shape.length - 1];
  return { n: a.data.length / len, len };
}

function part(x: unknown, key: string): tf.Tensor | undefined {
  if (x === null || typeof x !== "object" || x instanceof tf.Tensor) return undefined;
  const v = (x as Record<string, unknown>)[key];
  return isLive(v) ? v : undefined;
}

/**
 * What the attention weights show, for results { output, weights } (and the weights inside
 * layers): weights right and output wrong, which axis sums to 1, weight on blocked keys, a
 * constant factor on the scores, the largest weight on other keys, transposed weights, heads.
 */
export function attentionFinding(got: unknown, expected: unknown, args: unknown, o: AttentionProbeOptions, weightsKey = "weights", outputKey = "output"): Finding | undefined {
  const gwT = part(got, weightsKey);
  const ewT = part(expected, weightsKey);
  if (!gwT || !ewT || !sameShape(gwT.shape, ewT.shape)) return undefined;
  const gw = arr(gwT);
  const ew = arr(ewT);
  if (allClose(gw.data, ew.data)) {
    const go = part(got, outputKey);
    const eo = part(expected, outputKey);
    if (go && eo && sameShape(go.shape, eo.shape) && !allClose(arr(go).data, arr(eo).data)) {
      return { problem: `your ${weightsKey} match the reference but your ${outputKey} does not, so the difference is in ${o.after}` };
    }
    return undefined;
  }
  if (o.headAxis && gw.shape.length === 4 && gw.shape[1] > 1) {
    const heads = headsFinding(weightsKey, gw, ew);
    if (heads) return heads;
  }
  const { n, len } = rowsOf(gw);
  const mask = o.mask?.(args as never, gw.shape);
  const esum = new Float64Array(n);
  const gsum = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < len; j++) {
      esum[r] += ew.data[r * len + j];
      gsum[r] += gw.data[r * len + j];
    }
  }
  const live = [...Array(n).keys()].filter((r) => esum[r] > 0.5); // rows the reference normalises (not fully masked)
  const empty = [...Array(n).keys()].filter((r) => esum[r] <= 0.5);
  const offRows = live.filter((r) => Math.abs(gsum[r] - 1) > 1e-3);
  if (offRows.length > 0) {
    const tq = gw.shape[gw.shape.length - 2];
    if (tq > 1 && columnsSumToOne(gw)) {
      return { problem: `your ${weightsKey} sum to 1 down each column (over the queries, axis -2) instead of along each row (over the keys, the last axis)` };
    }
    const lo = Math.min(...offRows.map((r) => gsum[r]));
    const hi = Math.max(...offRows.map((r) => gsum[r]));
    if (mask) {
      const blockedSome = (r: number) => [...Array(len).keys()].some((j) => mask[r * len + j] === 0);
      if (offRows.every(blockedSome) && live.filter((r) => !blockedSome(r)).every((r) => Math.abs(gsum[r] - 1) <= 1e-3)) {
        return {
          problem: `the rows of your ${weightsKey} sum to 1 only where the mask blocks nothing; in rows where it blocks some keys they sum to less or more than 1`,
          detail: `${offRows.length} row(s) sum to between ${fmtNum(lo)} and ${fmtNum(hi)}`,
        };
      }
    }
    return { problem: `the rows of your ${weightsKey} do not sum to 1, so they are not a distribution over the keys`, detail: `${offRows.length} of ${live.length} row(s) sum to between ${fmtNum(lo)} and ${fmtNum(hi)}` };
  }
  if (mask) {
    let blockedMass = 0;
    let allowedMass = 0;
    for (const r of live) {
      for (let j = 0; j < len; j++) {
        const w = gw.data[r * len + j];
        if (mask[r * len + j] === 0) blockedMass += w;
        else allowedMass += w;
      }
    }
    if (blockedMass > 1e-6 * live.length) {
      if (allowedMass <= 1e-6 * live.length) {
        return { problem: `your ${weightsKey} put all their weight on the keys the mask blocks (mask = 0) and none on the keys it allows (mask = 1)` };
      }
      return { problem: `your ${weightsKey} give weight to keys the mask blocks (mask = 0)`, detail: `${fmtNum((100 * blockedMass) / live.length)}% of a row's weight on average` };
    }
    if (empty.some((r) => gsum[r] > 1e-6)) {
      return { problem: `a query whose keys are all masked gets non-zero ${weightsKey} (they must all be 0, and its output 0)`, detail: `such a row sums to ${fmtNum(gsum[empty.find((r) => gsum[r] > 1e-6) as number])}` };
    }
  }
  const c = scoreFactor(gw, ew, mask);
  if (c !== undefined) {
    const ref = o.scale?.(args as never);
    return {
      problem: `your ${weightsKey} are the softmax of the reference's scores multiplied by a constant factor: your scores are scaled differently from the reference's`,
      detail: `factor ${fmtNum(c)}${ref ? `; the reference scales q·kᵀ by ${ref}` : ""}`,
    };
  }
  const sq = gw.shape.length >= 2 && gw.shape[gw.shape.length - 1] === gw.shape[gw.shape.length - 2];
  if (sq) {
    const perm = [...gw.shape.keys()];
    [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2], perm[perm.length - 1]];
    if (allClose(gw.data, transposeArr(ew, perm).data)) {
      return { problem: `your ${weightsKey} are the reference's transposed (the query and key axes swapped)` };
    }
  }
  let moved = 0;
  let sharper = 0;
  let flatter = 0;
  for (const r of live) {
    let ga = 0;
    let ea = 0;
    for (let j = 1; j < len; j++) {
      if (gw.data[r * len + j] > gw.data[r * len + ga]) ga = j;
      if (ew.data[r * len + j] > ew.data[r * len + ea]) ea = j;
    }
    if (ga !== ea && Math.abs(ew.data[r * len + ga] - ew.data[r * len + ea]) > 1e-6) moved++;
    const gmax = gw.data[r * len + ga];
    const emax = ew.data[r * len + ea];
    if (gmax > emax + 1e-4) sharper++;
    else if (gmax < emax - 1e-4) flatter++;
  }
  if (moved > 0) {
    return { problem: `your ${weightsKey} put the largest weight on a different key than the reference in some rows`, detail: `${moved} of ${live.length} rows` };
  }
  if (sharper === live.length || flatter === live.length) {
    return {
      problem: `your ${weightsKey} pick the same keys as the reference but are ${sharper > 0 ? "sharper" : "flatter"} in every row (the largest weight is ${sharper > 0 ? "larger" : "smaller"})`,
    };
  }
  const found = tensorFinding(weightsKey, gw, ew);
  return found ?? { problem: `your ${weightsKey} differ from the reference's (their rows do sum to 1)` };
}

function columnsSumToOne(a: Arr): boolean {
  const len = a.shape[a.shape.length - 1];
  const tq = a.shape[a.shape.length - 2];
  const mats = a.data.length / (len * tq);
  for (let m = 0; m < mats; m++) {
    for (let j = 0; j < len; j++) {
      let s = 0;
      for (let i = 0; i < tq; i++) s += a.data[m * tq * len + i * len + j];
      if (Math.abs(s - 1) > 1e-3) return false;
    }
  }
  return true;
}

/**
 * The factor c with student = softmax(c · reference scores) row by row, if there is one: the
 * log-weights of each row (over the keys both give weight to) are c times the reference's, up to
 * a per-row constant.
 */
function scoreFactor(g: Arr, e: Arr, mask: Float64Array | undefined): number | undefined {
  const { n, len } = rowsOf(g);
  let num = 0;
  let den = 0;
  const rows: { x: number[]; y: number[] }[] = [];
  for (let r = 0; r < n; r++) {
    const keys = [...Array(len).keys()].filter((j) => (!mask || mask[r * len + j] !== 0) && e.data[r * len + j] > 1e-12);
    if (keys.length < 2) continue;
    if (keys.some((j) => !(g.data[r * len + j] > 1e-30))) return undefined;
    const x = keys.map((j) => Math.log(e.data[r * len + j]));
    const y = keys.map((j) => Math.log(g.data[r * len + j]));
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    const xc = x.map((v) => v - mx);
    const yc = y.map((v) => v - my);
    rows.push({ x: xc, y: yc });
    xc.forEach((v, i) => {
      num += v * yc[i];
      den += v * v;
    });
  }
  if (rows.length === 0 || den < 1e-9) return undefined;
  const c = num / den;
  if (Math.abs(c - 1) < 0.02) return undefined;
  const fits = rows.every(({ x, y }) => x.every((v, i) => Math.abs(y[i] - c * v) <= 2e-3 + 2e-3 * Math.abs(c * v)));
  return fits ? c : undefined;
}

/** Per-head comparison of [B, h, …] tensors (axis 1 is the head): which heads match, or heads in another order. */
export function headsFinding(what: string, g: Arr, e: Arr): Finding | undefined {
  const [b, h] = g.shape;
  const per = g.data.length / (b * h);
  const slice = (a: Arr, head: number) => {
    const out: number[] = [];
    for (let bi = 0; bi < b; bi++) for (let k = 0; k < per; k++) out.push(a.data[(bi * h + head) * per + k]);
    return out;
  };
  const gs = [...Array(h).keys()].map((i) => slice(g, i));
  const es = [...Array(h).keys()].map((i) => slice(e, i));
  const match = [...Array(h).keys()].filter((i) => allClose(gs[i], es[i]));
  const perm = gs.map((s) => es.findIndex((t) => allClose(s, t)));
  if (match.length < h && perm.every((p) => p >= 0) && new Set(perm).size === h) {
    return { problem: `the heads of your ${what} are the reference's heads in a different order`, detail: perm.map((p, i) => `your head ${i} is the reference's head ${p}`).join(", ") };
  }
  if (match.length > 0) {
    const differ = [...Array(h).keys()].filter((i) => !match.includes(i));
    return {
      problem: `some heads of your ${what} match the reference and others do not`,
      detail: `head${match.length > 1 ? "s" : ""} ${fmtIndices(match)} match${match.length > 1 ? "" : "es"}, head${differ.length > 1 ? "s" : ""} ${fmtIndices(differ)} differ${differ.length > 1 ? "" : "s"}`,
    };
  }
  return undefined;
}

/** Which columns of a [T, d] table match the reference, or a column permutation (positional encodings). */
export function columnFinding(what: string, g: Arr, e: Arr): Finding | undefined {
  if (g.shape.length !== 2 || !sameShape(g.shape, e.shape)) return undefined;
  const [t, d] = g.shape;
  const col = (a: Arr, j: number) => [...Array(t).keys()].map((i) => a.data[i * d + j]);
  const gc = [...Array(d).keys()].map((j) => col(g, j));
  const ec = [...Array(d).keys()].map((j) => col(e, j));
  const match = [...Array(d).keys()].filter((j) => allClose(gc[j], ec[j]));
  const perm = gc.map((c) => ec.findIndex((x) => allClose(c, x)));
  if (match.length < d && perm.every((p) => p >= 0) && new Set(perm).size === d) {
    const moved = perm.map((p, j) => [j, p]).filter(([j, p]) => j !== p);
    return {
      problem: `your ${what} has the reference's columns in a different order`,
      detail: moved.slice(0, 4).map(([j, p]) => `your column ${j} is the reference's column ${p}`).join(", ") + (moved.length > 4 ? ", …" : ""),
    };
  }
  if (match.length > 0 && match.length < d) {
    const differ = [...Array(d).keys()].filter((j) => !match.includes(j));
    return { problem: `some columns of your ${what} match the reference and others do not`, detail: `columns ${fmtIndices(match)} match, columns ${fmtIndices(differ)} differ` };
  }
  return undefined;
}

/** Which of the `groups` equal slices of the last axis match (e.g. the heads' features in a [B, T, h·dh] tensor). */
export function featureGroupFinding(what: string, g: Arr, e: Arr, groups: number, groupName: string): Finding | undefined {
  if (!sameShape(g.shape, e.shape)) return undefined;
  const d = g.shape[g.shape.length - 1];
  if (groups < 2 || d % groups !== 0) return undefined;
  const w = d / groups;
  const rows = g.data.length / d;
  const same = (k: number, l: number) => {
    for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) if (!close(g.data[r * d + k * w + j], e.data[r * d + l * w + j])) return false;
    return true;
  };
  const ok = [...Array(groups).keys()].filter((k) => same(k, k));
  const perm = [...Array(groups).keys()].map((k) => [...Array(groups).keys()].findIndex((l) => same(k, l)));
  if (ok.length < groups && perm.every((p) => p >= 0) && new Set(perm).size === groups) {
    return { problem: `your ${what} has the ${groupName}s' features in a different order`, detail: perm.map((p, k) => `your ${groupName} ${k} is the reference's ${groupName} ${p}`).join(", ") };
  }
  if (ok.length === 0 || ok.length === groups) return undefined;
  const bad = [...Array(groups).keys()].filter((k) => !ok.includes(k));
  return {
    problem: `some ${groupName}s of your ${what} match the reference and others do not`,
    detail: `${groupName}${ok.length > 1 ? "s" : ""} ${fmtIndices(ok)} match (features ${fmtIndices(ok.map((k) => k * w))} on, ${w} each), ${groupName}${bad.length > 1 ? "s" : ""} ${fmtIndices(bad)} differ`,
  };
}
