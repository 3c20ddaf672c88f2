/**
 * Swapping one of a student's building blocks for the reference, while their other code runs:
 * the mechanism behind cause finding (cause.ts).
 *
 * A student's multiHeadAttention calls their own splitHeads (a local call inside lib/multihead.ts)
 * and their own scaledDotProductAttention (imported from ./attention). To run it with the
 * reference scaledDotProductAttention instead, every exercise function of a staged submission
 * starts with a one-line prologue (added at staging, see instrumentSource) that looks the
 * function up in a process-wide table and, when an entry is there, calls it instead. The table is
 * empty except inside withSwaps(), so graded behaviour is unchanged.
 */
import type * as TS from "typescript";
import { typescript } from "./register";

const KEY = "attention-lab.swaps";

type AnyFn = (...args: unknown[]) => unknown;

function table(): Map<string, AnyFn> {
  const g = globalThis as unknown as Record<symbol, Map<string, AnyFn> | undefined>;
  const sym = Symbol.for(KEY);
  let t = g[sym];
  if (!t) {
    t = new Map();
    g[sym] = t;
  }
  return t;
}

/** Runs `f` with each named exercise function (by function name) replaced by the given one; restores the table afterwards. */
export async function withSwaps<T>(fns: Readonly<Record<string, AnyFn>>, f: () => Promise<T> | T): Promise<T> {
  const t = table();
  const saved = new Map<string, AnyFn | undefined>();
  for (const [name, fn] of Object.entries(fns)) {
    saved.set(name, t.get(name));
    t.set(name, fn);
  }
  try {
    return await f();
  } finally {
    for (const [name, fn] of saved) {
      if (fn === undefined) t.delete(name);
      else t.set(name, fn);
    }
  }
}

/** The swaps in force right now, by function name (the sandbox forwards them to the student's process). */
export function currentSwaps(): Record<string, AnyFn> {
  return Object.fromEntries(table());
}

const LOOKUP = `globalThis[Symbol.for(${JSON.stringify(KEY)})]?.get`;

/**
 * The source of a student's exercise module with the swap prologue in each function named in
 * `fns`: `function f(…) {` gets `const __labSwap = …get("f"); if (__labSwap) return __labSwap.apply(this, arguments);`
 * right after its opening brace, and `const f = (…) => …` (or a function expression) is wrapped in
 * a forwarding function. Everything is inserted on existing lines, so line numbers in the
 * student's stack traces stay theirs.
 */
export function instrumentSource(source: string, fileName: string, fns: readonly string[]): string {
  const ts: typeof TS = typescript();
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const wanted = new Set(fns);
  const inserts: { at: number; text: string }[] = [];
  let wrapped = false;
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && wanted.has(st.name.text) && st.body && !st.asteriskToken) {
      const name = JSON.stringify(st.name.text);
      inserts.push({ at: st.body.getStart(sf) + 1, text: ` const __labSwap = ${LOOKUP}(${name}); if (__labSwap !== undefined) return __labSwap.apply(this, arguments);` });
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !wanted.has(d.name.text) || !d.initializer) continue;
        if (!ts.isArrowFunction(d.initializer) && !ts.isFunctionExpression(d.initializer)) continue;
        inserts.push({ at: d.initializer.getStart(sf), text: `__labSwappable(${JSON.stringify(d.name.text)}, ` });
        inserts.push({ at: d.initializer.getEnd(), text: ")" });
        wrapped = true;
      }
    }
  }
  let out = source;
  for (const ins of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  if (wrapped) {
    out += `\nfunction __labSwappable(name: string, f: any): any { return function (this: unknown, ...a: unknown[]) { const s = ${LOOKUP}(name); return s !== undefined ? s.apply(this, a) : f.apply(this, a); }; }\n`;
  }
  return out;
}
