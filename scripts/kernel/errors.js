// @ts-check
/**
 * Short, useful error messages for the notebook kernel.
 *
 * tslab prints a failed cell's error with console.error: Node's inspection of the error, i.e.
 * the source line of tfjs's `throw ex;`, ~15 frames through tfjs and generated .js files, and
 * every own property of the error. Here instead:
 *
 *   NotImplementedYet: Exercise 1.2 (notebooks/01-attention.ipynb): implement scaledDotProductAttention in lib/attention.ts
 *       called from cell line 3:  const { output } = scaledDotProductAttention(q, k, v);
 *
 *   Error: Operands could not be broadcast together with shapes 2,3 and 4.
 *       at lib/attention.ts:31 (softmax):  const shifted = tf.sub(x, tf.max(x, 0));
 *       at cell line 2:  softmax(logits);
 *       (7 frames inside @tensorflow/tfjs-core not shown)
 *
 * Frames of the notebook's own files come first, with .ts line numbers (sourcemaps.js), relative
 * to the notebook's folder; library and Node frames are counted, not listed.
 */
const fs = require("fs");
const path = require("path");

/** @typedef {{ fn: string, file: string, line: number, col: number }} Frame */
/** @typedef {{ kind: "cell" | "file", label: string, fn: string, text?: string } | { kind: "hidden", pkg: string }} Place */

/** @param {string} stack @returns {Frame[]} */
function parseFrames(stack) {
  /** @type {Frame[]} */
  const frames = [];
  for (const raw of stack.split("\n")) {
    const m = /^\s*at (?:async )?(?:(.*?) \()?(.*?):(\d+):(\d+)\)?\s*$/.exec(raw);
    if (!m) continue;
    frames.push({ fn: (m[1] ?? "").replace(/^Object\./, "").replace(/^new /, ""), file: m[2], line: Number(m[3]), col: Number(m[4]) });
  }
  return frames;
}

/**
 * "@tensorflow/tfjs-core" for …/node_modules/@tensorflow/tfjs-core/dist/x.js.
 * @param {string} file
 */
function packageOf(file) {
  const parts = file.split(/[\\/]node_modules[\\/]/);
  const rest = parts[parts.length - 1].split(/[\\/]/);
  return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
}

/** @param {string} file @param {number} line */
function sourceLine(file, line) {
  try {
    const text = fs.readFileSync(file, "utf8").split("\n")[line - 1];
    return text === undefined ? undefined : text.trim();
  } catch {
    return undefined;
  }
}

/** @param {string | undefined} text */
function clip(text) {
  if (!text) return "";
  return text.length > 100 ? text.slice(0, 97) + "..." : text;
}

/**
 * Where a frame points, in the student's terms.
 * @param {Frame} f
 * @param {{ cwd: string, originalPosition(file: string, line: number, col: number): { line: number, col: number } | undefined, cellSource(file: string): string | undefined }} ctx
 * @returns {Place}
 */
function place(f, ctx) {
  if (/^cell-\d+$/.test(f.file)) {
    const pos = ctx.originalPosition(f.file, f.line, f.col);
    if (!pos) return { kind: "hidden", pkg: "the kernel" };
    const line = pos.line - 1; // tslab puts "export {};" above the cell's code
    const text = ctx.cellSource(f.file)?.split("\n")[line - 1]?.trim();
    return { kind: "cell", label: `cell line ${line}`, fn: f.fn, text };
  }
  if (f.file.startsWith("node:") || !path.isAbsolute(f.file)) return { kind: "hidden", pkg: "Node.js" };
  if (/[\\/]node_modules[\\/]/.test(f.file)) {
    const pkg = packageOf(f.file);
    return { kind: "hidden", pkg: pkg === "tslab" ? "the kernel" : pkg };
  }
  const pos = ctx.originalPosition(f.file, f.line, f.col);
  if (!pos) return { kind: "hidden", pkg: "the kernel" };
  const ts = f.file.replace(/\.js$/, ".ts");
  const source = fs.existsSync(ts) ? ts : f.file;
  const rel = path.relative(ctx.cwd, source).split(path.sep).join("/");
  return { kind: "file", label: `${rel}:${pos.line}`, fn: f.fn, text: sourceLine(source, pos.line) };
}

/** Hints for errors whose cause is a step the student skipped. */
const HINTS = [
  { re: /backend '?wasm'? has not yet been initialized/i, hint: "run the notebook's first cell (await setupBackend()) before the others" },
];

/**
 * The lines to print for an error thrown by a cell.
 * @param {unknown} err
 * @param {Parameters<typeof place>[1]} ctx
 * @returns {string}
 */
function formatError(err, ctx) {
  if (!(err instanceof Error) && !(err && typeof err === "object" && "stack" in err && "message" in err)) {
    return `Uncaught ${typeof err === "string" ? JSON.stringify(err) : String(err)}`;
  }
  const e = /** @type {Error} */ (err);
  const name = e.name || "Error";
  const head = `${name}: ${e.message}`;
  const places = parseFrames(String(e.stack ?? "")).map((f) => place(f, ctx));
  const shown = /** @type {Extract<Place, { kind: "cell" | "file" }>[]} */ (places.filter((p) => p.kind !== "hidden"));
  const indent = "    ";
  if (name === "NotImplementedYet") {
    const caller = shown.find((p) => p.kind === "cell") ?? shown.find((p) => !p.label.startsWith("lib/support/"));
    return caller ? `${head}\n${indent}called from ${caller.label}:  ${clip(caller.text)}` : head;
  }
  const lines = [head];
  for (const p of shown) lines.push(`${indent}at ${p.label}${p.fn ? ` (${p.fn})` : ""}${p.text ? `:  ${clip(p.text)}` : ""}`);
  /** @type {Map<string, number>} */
  const hidden = new Map();
  for (const p of places) if (p.kind === "hidden") hidden.set(p.pkg, (hidden.get(p.pkg) ?? 0) + 1);
  const libs = [...hidden].filter(([pkg]) => pkg !== "Node.js" && pkg !== "the kernel");
  if (libs.length > 0) lines.push(`${indent}(${libs.map(([pkg, n]) => `${n} frame${n === 1 ? "" : "s"} inside ${pkg}`).join(", ")} not shown)`);
  for (const h of HINTS) if (h.re.test(e.message)) lines.push(`${indent}hint: ${h.hint}`);
  return lines.join("\n");
}

/**
 * A hint under tslab's compile errors (printed as "LINE:COL - message").
 * @param {string} message
 */
function diagnosticHint(message) {
  const m = /Cannot find name '([^']+)'/.exec(message);
  if (!m) return undefined;
  return `hint: if '${m[1]}' comes from an earlier cell: after a kernel restart, run the set-up cells at the top of the notebook, then this section from its first cell`;
}

module.exports = { formatError, parseFrames, packageOf, diagnosticHint };
