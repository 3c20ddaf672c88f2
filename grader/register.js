/**
 * Lets Node require the kit's TypeScript files (the grader, the checks, solutions/, lib/support)
 * without a type check, through a content-addressed cache of compiled output in
 * out/grading/.cache/: the first run compiles each file once (TypeScript's transpileModule),
 * later runs only read the cache and never load the TypeScript compiler.
 *
 * This is what makes the grader start in a fraction of a second instead of the seconds ts-node
 * needs: the CLI (`npm run grade`), every grading worker and the notebooks' check() load it with
 * `node --require grader/register.js`. Plain JavaScript because it runs before any TypeScript can.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const FLAG = Symbol.for("attention-lab.register");

/** The compiler options every kit file is compiled with (CommonJS, like ts-node --transpile-only). */
const OPTIONS = { module: 1 /* CommonJS */, target: 7 /* ES2020 */, esModuleInterop: true, resolveJsonModule: true, sourceMap: false };

/** @type {any} the TypeScript compiler, loaded only when something is not cached */
let ts;
/** @type {string | undefined} */
let cacheKeyPrefix;

function typescript() {
  if (!ts) ts = require(require.resolve("typescript", { paths: [ROOT] }));
  return ts;
}

/** The installed compiler's version, read without loading the compiler (part of every cache key). */
function keyPrefix() {
  if (cacheKeyPrefix === undefined) {
    const pkg = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json", { paths: [ROOT] }), "utf8"));
    cacheKeyPrefix = `${pkg.version}\u0000${JSON.stringify(OPTIONS)}\u0000`;
  }
  return cacheKeyPrefix;
}

/**
 * A string computed from `parts` (e.g. a file's text and the options it was compiled with),
 * from the cache in out/grading/.cache/<kind>/ when it is there, otherwise computed and stored.
 */
/**
 * @param {string} kind
 * @param {readonly unknown[]} parts
 * @param {() => string} compute
 * @returns {string}
 */
function cached(kind, parts, compute) {
  const hash = crypto.createHash("sha256").update(keyPrefix());
  for (const p of parts) hash.update(String(p)).update("\u0000");
  const key = hash.digest("hex");
  const file = path.join(ROOT, "out", "grading", ".cache", kind, key.slice(0, 2), `${key}.txt`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    // not cached yet
  }
  const out = compute();
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write-then-rename: several graders may fill the cache at once; readers never see half a file.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, file);
  } catch {
    // a read-only checkout still works, just without the cache
  }
  return out;
}

/**
 * Compiled JavaScript for `source` (a .ts file's text), from the cache when it is there.
 * @param {string} source
 * @param {string} fileName
 * @returns {string}
 */
function compileCached(source, fileName) {
  return cached("ts", [source], () => typescript().transpileModule(source, { fileName, compilerOptions: OPTIONS }).outputText);
}

function register() {
  const flags = /** @type {Record<symbol, boolean>} */ (/** @type {unknown} */ (globalThis));
  if (flags[FLAG]) return;
  flags[FLAG] = true;
  // Under ts-node (npm start, the benchmarks) .ts files already compile; keep its handler.
  if (require.extensions[".ts"]) return;
  require.extensions[".ts"] = function (module, filename) {
    /** @type {any} */ (module)._compile(compileCached(fs.readFileSync(filename, "utf8"), filename), filename);
  };
  // Node tries extensions in insertion order: put .ts before .json, so that "./fixtures/pytorch"
  // finds pytorch.ts (as TypeScript and vite resolve it), not the pytorch.json beside it.
  for (const ext of [".json", ".node"]) {
    const handler = require.extensions[ext];
    delete require.extensions[ext];
    require.extensions[ext] = handler;
  }
}

register();

module.exports = { cached, compileCached, typescript, register, OPTIONS };
