/**
 * What the notebooks say and how they are built, checked without running them:
 * - every section runs after a kernel restart with only the set-up cells before it (compiled
 *   cell by cell with tslab's own compiler, as a fresh kernel would; tests/unit/sections/);
 * - pointers to other notebooks are true: a notebook that does not exist yet is marked "(planned)",
 *   and an existing one is not;
 * - no mention of "the lecture notes", which a student of this kit does not have.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { listNotebooks, NOTEBOOK_DIR } from "../../scripts/run-notebooks";
import { progress } from "./progress";

const ROOT = path.resolve(__dirname, "..", "..");
interface Cell { cell_type: string; source: string | string[] }
const cellsOf = (name: string): Cell[] => JSON.parse(fs.readFileSync(path.join(NOTEBOOK_DIR, name), "utf8")).cells;
const text = (c: Cell) => ([] as string[]).concat(c.source).join("");

describe("self-contained sections", () => {
  it("every section of every notebook compiles after the set-up cells alone (or after the exercise-free section it names)", () => {
    progress("compiling every notebook section after its set-up cells (tslab's compiler, about a minute)");
    const run = spawnSync(process.execPath, [path.join(__dirname, "sections", "check-sections.js"), ...listNotebooks()], {
      cwd: NOTEBOOK_DIR, encoding: "utf8", timeout: 600_000, maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.status, run.stderr).toBe(0);
    const results: { notebook: string; sections: { title: string; cells: number; problems: string[] }[] }[] = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const problems = results.flatMap((nb) => nb.sections.flatMap((s) => s.problems.map((p) => `${nb.notebook} § ${s.title}: ${p}`)));
    expect(problems).toEqual([]);
    for (const nb of results) {
      expect(nb.sections[0].cells, `${nb.notebook} has set-up cells`).toBeGreaterThan(0);
      expect(nb.sections.filter((s) => s.cells > 0).length, `${nb.notebook} has sections with code`).toBeGreaterThan(2);
    }
  }, 600_000);

  it("the checker catches a section that uses a name from an earlier one", () => {
    const dir = fs.mkdtempSync(path.join(ROOT, "out", "sections-"));
    try {
      const nb = {
        cells: [
          { cell_type: "code", source: "const a = 1;" },
          { cell_type: "markdown", source: "## 1. First" },
          { cell_type: "code", source: "const b = a + 1;" },
          { cell_type: "markdown", source: "## 2. Second" },
          { cell_type: "code", source: "console.log(b);" },
          { cell_type: "markdown", source: "## 3. Third\n<!-- lab:needs 1 -->" },
          { cell_type: "code", source: "console.log(b);" },
        ],
      };
      fs.writeFileSync(path.join(dir, "t.ipynb"), JSON.stringify(nb));
      const run = spawnSync(process.execPath, [path.join(__dirname, "sections", "check-sections.js"), "t.ipynb"], { cwd: dir, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      const [result] = JSON.parse(run.stdout.trim().split("\n").pop()!);
      expect(result.sections.map((s: { problems: string[] }) => s.problems)).toEqual([[], [], ["cell 4, line 1: Cannot find name 'b'."], []]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** "notebook 05", "notebooks 04 and 05" … with what follows them. */
function notebookPointers(s: string): { numbers: string[]; after: string; at: string }[] {
  const out: { numbers: string[]; after: string; at: string }[] = [];
  for (const m of s.matchAll(/\b[Nn]otebooks? (\d\d)((?:(?:, | and | or | to )\d\d)*)/g)) {
    const numbers = [m[1], ...(m[2].match(/\d\d/g) ?? [])];
    out.push({ numbers, after: s.slice(m.index! + m[0].length, m.index! + m[0].length + 12), at: m[0] });
  }
  return out;
}

describe("what the notebooks and docs say", () => {
  const existing = new Set(listNotebooks().map((n) => n.slice(0, 2)));
  const sources: [string, string][] = [
    ...listNotebooks().map((n) => [n, cellsOf(n).filter((c) => c.cell_type === "markdown").map(text).join("\n")] as [string, string]),
    // What students read (CONTRIBUTING.md states these rules, with examples, so it is not checked).
    ["README.md", fs.readFileSync(path.join(ROOT, "README.md"), "utf8")],
  ];

  it("pointers to notebooks that do not exist yet say '(planned)'; pointers to existing ones do not", () => {
    const wrong: string[] = [];
    for (const [file, s] of sources) {
      for (const p of notebookPointers(s)) {
        const missing = p.numbers.some((n) => !existing.has(n));
        const planned = p.after.startsWith(" (planned");
        if (missing && !planned) wrong.push(`${file}: "${p.at}" names a notebook that does not exist yet: write "${p.at} (planned)"`);
        if (!missing && planned) wrong.push(`${file}: "${p.at} (planned" but it exists now: drop "(planned)"`);
      }
    }
    expect(wrong).toEqual([]);
    expect(notebookPointers("see notebooks 04 and 05 (planned) and notebook 01.").map((p) => p.numbers)).toEqual([["04", "05"], ["01"]]);
  });

  it("no 'lecture notes' (students of this kit do not have them)", () => {
    for (const [file, s] of sources) expect(s, file).not.toMatch(/\blecture/i);
  });
});
