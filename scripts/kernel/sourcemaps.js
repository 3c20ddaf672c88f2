// @ts-check
/**
 * Line numbers of the student's TypeScript in kernel error messages.
 *
 * tslab compiles each .ts file (and each cell) twice: TypeScript → ES module JS, then ES module
 * → CommonJS (esModuleToCommonJSModule). Neither pass makes a source map, so stack frames point
 * at lines of generated JavaScript. This module makes both passes emit maps, composes them into
 * one (CommonJS line → .ts line), appends it to the generated code as a standard inline
 * `sourceMappingURL`, and remembers it per compiled file, so errors.js can print `lib/x.ts:31`.
 *
 * Mappings are decoded to { genLine, genCol, srcLine, srcCol } with 0-based lines and columns.
 */
const Module = require("module");
const vm = require("vm");

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** @typedef {{ genCol: number, srcLine: number, srcCol: number }} Segment */
/** @typedef {Segment[][]} LineMap  segments per generated line, sorted by genCol */

/**
 * Decodes a source map's `mappings` string (single source assumed).
 * @param {string} mappings
 * @returns {LineMap}
 */
function decodeMappings(mappings) {
  /** @type {LineMap} */
  const lines = [];
  let srcLine = 0, srcCol = 0;
  for (const lineText of mappings.split(";")) {
    /** @type {Segment[]} */
    const segs = [];
    let genCol = 0;
    for (const seg of lineText.split(",")) {
      if (seg === "") continue;
      const values = [];
      let value = 0, shift = 0;
      for (const ch of seg) {
        const digit = B64_INDEX.get(ch);
        if (digit === undefined) throw new Error(`bad base64 digit "${ch}" in source map`);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += values[0];
      if (values.length >= 4) {
        srcLine += values[2];
        srcCol += values[3];
        segs.push({ genCol, srcLine, srcCol });
      }
    }
    lines.push(segs);
  }
  return lines;
}

/** @param {number} n */
function vlq(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = "";
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += B64[digit];
  } while (v > 0);
  return out;
}

/** @param {LineMap} lines @returns {string} */
function encodeMappings(lines) {
  let prevSrcLine = 0, prevSrcCol = 0;
  return lines
    .map((segs) => {
      let prevGenCol = 0;
      return segs
        .map((s) => {
          const text = vlq(s.genCol - prevGenCol) + vlq(0) + vlq(s.srcLine - prevSrcLine) + vlq(s.srcCol - prevSrcCol);
          prevGenCol = s.genCol;
          prevSrcLine = s.srcLine;
          prevSrcCol = s.srcCol;
          return text;
        })
        .join(",");
    })
    .join(";");
}

/**
 * The original position of a generated one: the last segment at or before the column, else the
 * line's first segment.
 * @param {LineMap} map
 * @param {number} line
 * @param {number} col
 * @returns {{ line: number, col: number } | undefined}
 */
function lookup(map, line, col) {
  const segs = map[line];
  if (!segs || segs.length === 0) return undefined;
  let best = segs[0];
  for (const s of segs) {
    if (s.genCol <= col) best = s;
    else break;
  }
  return { line: best.srcLine, col: best.srcCol };
}

/**
 * outer: C → B, inner: B → A; returns C → A.
 * @param {LineMap} outer
 * @param {LineMap} inner
 * @returns {LineMap}
 */
function compose(outer, inner) {
  return outer.map((segs) =>
    segs.flatMap((s) => {
      const p = lookup(inner, s.srcLine, s.srcCol);
      return p ? [{ genCol: s.genCol, srcLine: p.line, srcCol: p.col }] : [];
    }),
  );
}

const INLINE_MAP = /\n?\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;

/**
 * Splits generated code into its text and its inline source map (if any).
 * @param {string} code
 */
function splitInlineMap(code) {
  const m = INLINE_MAP.exec(code);
  if (!m) return { code, map: undefined };
  const json = JSON.parse(Buffer.from(m[1], "base64").toString("utf8"));
  return { code: code.slice(0, m.index), map: /** @type {LineMap} */ (decodeMappings(json.mappings)) };
}

/**
 * @param {LineMap} map
 * @param {string} file
 */
function inlineMapComment(map, file) {
  const json = JSON.stringify({ version: 3, file, sources: [file.replace(/\.js$/, ".ts")], names: [], mappings: encodeMappings(map) });
  return `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(json).toString("base64")}`;
}

/** filename → line map of code compiled in this kernel (modules and cells). @type {Map<string, LineMap>} */
const registry = new Map();
const CELL_PREFIXES = ["(function(exports, require) { ", "(async function(exports, require) { "];
let cellCounter = 0;
/** cell file name → the cell's TypeScript source @type {Map<string, string>} */
const cellSources = new Map();
let currentCellSource = "";

/**
 * The source of the cell about to run (the kernel calls this before each execution).
 * @param {string} code
 */
function setCellSource(code) {
  currentCellSource = code;
}

/** @param {string} file */
function cellSource(file) {
  return cellSources.get(file);
}

/**
 * Makes tslab's two compiler passes emit source maps and records the composed map of every
 * compiled module and cell. Call before tslab's converter is first required.
 * @param {string} tsModulePath resolved path of tslab's bundled TypeScript (@tslab/typescript-for-tslab)
 */
function install(tsModulePath) {
  const ts = require(tsModulePath);
  const cached = require.cache[tsModulePath];
  if (!cached) throw new Error(`sourcemaps: ${tsModulePath} is not in require.cache`);
  const createWatchCompilerHost = (/** @type {any} */ rootFiles, /** @type {any} */ options, /** @type {any[]} */ ...rest) =>
    ts.createWatchCompilerHost(rootFiles, { ...options, inlineSourceMap: true, sourceMap: false }, ...rest);
  /**
   * The second pass (tslab calls it with fileName "custom.js"): map it too, then compose.
   * @param {string} input
   * @param {any} opts
   */
  const transpileModule = (input, opts) => {
    if (!opts || opts.fileName !== "custom.js") return ts.transpileModule(input, opts);
    const first = splitInlineMap(input);
    if (!first.map) return ts.transpileModule(input, opts);
    const out = ts.transpileModule(first.code, { ...opts, compilerOptions: { ...opts.compilerOptions, sourceMap: true, inlineSourceMap: false } });
    if (!out.sourceMapText) return out;
    const second = decodeMappings(JSON.parse(out.sourceMapText).mappings);
    const text = out.outputText.replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "");
    return { ...out, outputText: text + inlineMapComment(compose(second, first.map), "module.js"), sourceMapText: undefined };
  };
  // The module's exports are non-configurable getters; a proxy can still answer differently.
  cached.exports = new Proxy(ts, {
    get(target, prop, receiver) {
      if (prop === "createWatchCompilerHost") return createWatchCompilerHost;
      if (prop === "transpileModule") return transpileModule;
      return Reflect.get(target, prop, receiver);
    },
  });

  // Modules that tslab compiles (lib/*.ts through the notebooks/lib link) load via Module#_compile.
  const compile = /** @type {any} */ (Module.prototype)._compile;
  /** @type {any} */ (Module.prototype)._compile = function (/** @type {string} */ content, /** @type {string} */ filename) {
    if (typeof content === "string" && content.includes("sourceMappingURL=data:")) {
      const { map } = splitInlineMap(content);
      if (map) registry.set(filename, map);
    }
    return compile.call(this, content, filename);
  };
  // Cells: tslab runs `(function(exports, require) { …code… })(…)` with vm.runInThisContext and no
  // file name; give each cell one, so its frames can be told apart and mapped.
  const run = vm.runInThisContext;
  /** @type {any} */ (vm).runInThisContext = function (/** @type {string} */ code, /** @type {any} */ options) {
    const prefix = typeof code === "string" ? CELL_PREFIXES.find((p) => code.startsWith(p)) : undefined;
    if (prefix === undefined || (options && typeof options === "object" && options.filename)) {
      return run.call(vm, code, options);
    }
    const filename = `cell-${++cellCounter}`;
    const { map } = splitInlineMap(code.replace(/\n\}\)\(__tslab__\.exports, __tslab__\.require\)$/, ""));
    if (map) {
      // The prefix sits on the first generated line: shift that line's columns.
      if (map[0]) map[0] = map[0].map((s) => ({ ...s, genCol: s.genCol + prefix.length }));
      registry.set(filename, map);
      cellSources.set(filename, currentCellSource);
      if (cellSources.size > 500) {
        const oldest = cellSources.keys().next().value ?? "";
        cellSources.delete(oldest);
        registry.delete(oldest);
      }
    }
    const opts = typeof options === "object" && options ? { ...options, filename } : { filename };
    return run.call(vm, code, opts);
  };
}

/**
 * The original position of a frame (1-based line and column, as in stack traces), or undefined
 * when the file was not compiled with a map.
 * @param {string} file
 * @param {number} line
 * @param {number} col
 */
function originalPosition(file, line, col) {
  const map = registry.get(file);
  if (!map) return undefined;
  const p = lookup(map, line - 1, col - 1);
  return p ? { line: p.line + 1, col: p.col + 1 } : undefined;
}

module.exports = { decodeMappings, encodeMappings, compose, lookup, splitInlineMap, install, originalPosition, setCellSource, cellSource, registry };
