/**
 * The kernel's error formatting and source-map arithmetic (scripts/kernel/errors.js,
 * sourcemaps.js), without starting a kernel. kernel.test.ts checks the same in a real kernel.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sm = require("../../scripts/kernel/sourcemaps.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { formatError, parseFrames, packageOf } = require("../../scripts/kernel/errors.js");

describe("source maps", () => {
  it("decode(encode(map)) is the map, including negative deltas and long lines", () => {
    const map = [
      [{ genCol: 0, srcLine: 3, srcCol: 2 }, { genCol: 17, srcLine: 3, srcCol: 40 }],
      [],
      [{ genCol: 4, srcLine: 1, srcCol: 0 }, { genCol: 1000, srcLine: 250, srcCol: 7 }],
    ];
    expect(sm.decodeMappings(sm.encodeMappings(map))).toEqual(map);
  });

  it("decodes a mapping TypeScript wrote (AAAA = line 0 col 0; ;AACA = next line, source line +1)", () => {
    expect(sm.decodeMappings("AAAA;AACA")).toEqual([[{ genCol: 0, srcLine: 0, srcCol: 0 }], [{ genCol: 0, srcLine: 1, srcCol: 0 }]]);
  });

  it("compose maps C → B → A, and lookup takes the last segment at or before the column", () => {
    const cToB = [[{ genCol: 0, srcLine: 1, srcCol: 0 }], [{ genCol: 2, srcLine: 0, srcCol: 5 }]];
    const bToA = [[{ genCol: 0, srcLine: 10, srcCol: 0 }, { genCol: 4, srcLine: 12, srcCol: 3 }], [{ genCol: 0, srcLine: 20, srcCol: 1 }]];
    expect(sm.compose(cToB, bToA)).toEqual([[{ genCol: 0, srcLine: 20, srcCol: 1 }], [{ genCol: 2, srcLine: 12, srcCol: 3 }]]);
    expect(sm.lookup(bToA, 0, 3)).toEqual({ line: 10, col: 0 });
    expect(sm.lookup(bToA, 5, 0)).toBeUndefined();
  });
});

describe("kernel error messages", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-errors-"));
  fs.mkdirSync(path.join(dir, "lib"));
  fs.writeFileSync(path.join(dir, "lib", "attention.ts"), "line one\n  const e = tf.exp(x);   // line 2\n");
  const fileJs = path.join(dir, "lib", "attention.js");
  const ctx = {
    cwd: dir,
    // attention.js line 40 is attention.ts line 2; cell-7 line 5 is __tslab__.ts line 3 = cell line 2
    originalPosition: (file: string, line: number) => (file === fileJs && line === 40 ? { line: 2, col: 3 } : file === "cell-7" && line === 5 ? { line: 3, col: 1 } : undefined),
    cellSource: (file: string) => (file === "cell-7" ? "const x = 1;\nsoftmax(x);" : undefined),
  };
  const stack = (name: string, message: string) => [
    `/x/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:4578`,
    `            throw ex;`,
    `            ^`,
    ``,
    `${name}: ${message}`,
    `    at Object.assertAndGetBroadcastShape (/x/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:11952:19)`,
    `    at softmax (${fileJs}:40:12)`,
    `    at Engine.scopedRun (/x/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:4572:23)`,
    `    at cell-7:5:3`,
    `    at sigintHandlersWrap (node:vm:280:12)`,
    `    at Object.execute (/x/node_modules/tslab/dist/executor.js:160:38)`,
  ].join("\n");
  const error = (name: string, message: string) => Object.assign(new Error(message), { name, stack: stack(name, message) });

  it("parses frames, with and without a function name", () => {
    expect(parseFrames(stack("Error", "m")).map((f: { fn: string; line: number }) => [f.fn, f.line])).toEqual([
      ["assertAndGetBroadcastShape", 11952], ["softmax", 40], ["Engine.scopedRun", 4572], ["", 5], ["sigintHandlersWrap", 280], ["execute", 160],
    ]);
    expect(packageOf("/a/node_modules/@tensorflow/tfjs-core/dist/x.js")).toBe("@tensorflow/tfjs-core");
    expect(packageOf("/a/node_modules/tslab/dist/x.js")).toBe("tslab");
  });

  it("shows the student's file and line first, then the cell line, and counts library frames", () => {
    expect(formatError(error("Error", "Operands could not be broadcast"), ctx).split("\n")).toEqual([
      "Error: Operands could not be broadcast",
      "    at lib/attention.ts:2 (softmax):  const e = tf.exp(x);   // line 2",
      "    at cell line 2:  softmax(x);",
      "    (2 frames inside @tensorflow/tfjs-core not shown)",
    ]);
  });

  it("an unimplemented exercise is its message and the calling line", () => {
    const e = error("NotImplementedYet", "Exercise 1.1 (notebooks/01-attention.ipynb): implement softmax in lib/attention.ts");
    expect(formatError(e, ctx).split("\n")).toEqual([
      "NotImplementedYet: Exercise 1.1 (notebooks/01-attention.ipynb): implement softmax in lib/attention.ts",
      "    called from cell line 2:  softmax(x);",
    ]);
  });

  it("adds a hint when the backend was not set up; non-errors are printed as values", () => {
    expect(formatError(error("Error", "Backend 'wasm' has not yet been initialized. Make sure to await tf.ready()"), ctx)).toMatch(/hint: run the notebook's first cell/);
    expect(formatError("oops", ctx)).toBe('Uncaught "oops"');
  });
});
