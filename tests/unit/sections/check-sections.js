// @ts-check
/**
 * Can every section of a notebook run after a kernel restart with only the set-up cells run
 * before it? Compiles, for each section, the set-up cells and then the section's cells with
 * tslab's own compiler, cell by cell, exactly as a fresh kernel would (each cell sees the
 * declarations of the cells run before it, nothing else). A name defined in an earlier section
 * fails here as "Cannot find name ..." — what a student would see after a restart.
 *
 * Sections: a markdown cell with a "## " heading starts one. The set-up is every cell before the
 * first section, plus a first section called "Setup". A section that builds on an earlier one
 * says so in words and with a marker in one of its markdown cells, `<!-- lab:needs 8 -->`; it
 * is then compiled after the set-up and section 8, and section 8 must have no exercise (no
 * check cell), so that a student never has to solve an earlier exercise to run a later section.
 *
 * usage (cwd = the notebooks folder): node check-sections.js NOTEBOOK...
 * Prints one JSON line: [{ notebook, sections: [{ title, firstCell, cells, problems: [...] }] }]
 */
const fs = require("fs");
const path = require("path");

const tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [process.cwd()] }));
const { createConverter } = require(path.join(tslabDir, "dist", "converter.js"));

/** @param {{ source: string | string[] }} c */
const src = (c) => [].concat(/** @type {any} */ (c.source)).join("");

/** @param {any} nb */
function splitSections(nb) {
  /** @type {{ title: string, cells: { index: number, code: string }[], firstCell: number, needs: string[] }[]} */
  const sections = [];
  /** @type {{ index: number, code: string }[]} */
  const setup = [];
  /** @type {{ title: string, cells: { index: number, code: string }[], firstCell: number, needs: string[] } | undefined} */
  let current = undefined;
  nb.cells.forEach((/** @type {any} */ cell, /** @type {number} */ index) => {
    const heading = cell.cell_type === "markdown" ? /^##\s+(.+)$/m.exec(src(cell)) : null;
    if (heading) {
      current = { title: heading[1].trim(), cells: [], firstCell: index, needs: /** @type {string[]} */ ([]) };
      sections.push(current);
    }
    const needs = cell.cell_type === "markdown" ? /<!--\s*lab:needs\s+([\d\s,]+)-->/.exec(src(cell)) : null;
    if (needs && current) current.needs.push(...needs[1].split(/[\s,]+/).filter(Boolean));
    if (cell.cell_type !== "code") return;
    const entry = { index, code: src(cell) };
    if (!current || (sections.length === 1 && /^(\d+\.\s*)?set-?up\b/i.test(current.title))) setup.push(entry);
    else current.cells.push(entry);
  });
  return { setup, sections: sections.filter((s) => !(sections.indexOf(s) === 0 && /^(\d+\.\s*)?set-?up\b/i.test(s.title))) };
}

function main() {
  const conv = createConverter({ isJS: false, isBrowser: false });
  const results = [];
  try {
    for (const file of process.argv.slice(2)) {
      const nb = JSON.parse(fs.readFileSync(file, "utf8"));
      const { setup, sections } = splitSections(nb);
      /** @param {{ index: number, code: string }[]} cells @param {string} prevDecl @param {string[]} problems */
      const run = (cells, prevDecl, problems) => {
        for (const cell of cells) {
          const r = conv.convert(prevDecl, cell.code);
          if (r.diagnostics.length > 0) {
            for (const d of r.diagnostics) problems.push(`cell ${cell.index}, line ${d.start.line + 1}: ${d.messageText}`);
            continue; // like a kernel: a failed cell declares nothing
          }
          prevDecl = r.declOutput || "";
        }
        return prevDecl;
      };
      /** @type {string[]} */
      const setupProblems = [];
      const afterSetup = run(setup, "", setupProblems); // the same start for every section
      const out = [{ title: "(set-up cells)", firstCell: 0, cells: setup.length, problems: setupProblems, needs: /** @type {string[]} */ ([]) }];
      const byNumber = new Map(sections.map((sec) => [/^(\d+)\./.exec(sec.title)?.[1] ?? "", sec]));
      for (const section of sections) {
        /** @type {string[]} */
        const problems = [];
        let start = afterSetup;
        for (const n of section.needs) {
          const needed = byNumber.get(n);
          if (!needed || needed.firstCell >= section.firstCell) {
            problems.push(`needs section ${n}, which is not an earlier section`);
            continue;
          }
          if (needed.cells.some((c) => /\bcheck\(/.test(c.code))) problems.push(`needs section ${n}, which has an exercise (a check cell)`);
          start = run(needed.cells, start, problems);
        }
        run(section.cells, start, problems);
        out.push({ title: section.title, firstCell: section.firstCell, cells: section.cells.length, problems, needs: section.needs });
      }
      results.push({ notebook: path.basename(file), setupCells: setup.map((c) => c.index), sections: out });
    }
  } finally {
    conv.close();
  }
  console.log(JSON.stringify(results));
}

main();
