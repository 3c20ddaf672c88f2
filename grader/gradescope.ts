/**
 * `npm run gradescope -- --out autograder.zip [--extra-tests DIR] [--hidden-visibility V]`:
 * builds a Gradescope autograder (https://gradescope-autograders.readthedocs.io/): the kit's
 * files, the tutor's hidden tests (hidden-tests/), `setup.sh` (installs Node 20 and the npm
 * packages when Gradescope builds the image; offline from a Node tarball and an npm cache shipped
 * in vendor/ when given) and `run_autograder` (grades /autograder/submission into
 * /autograder/results/results.json). The root is $AUTOGRADER_ROOT when set, so a test runs
 * run_autograder against a fake tree.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./paths";
import { VISIBILITIES, type Visibility } from "./report";

const USAGE = `Usage: npm run gradescope -- --out autograder.zip [options]

Options:
  --out FILE                the zip to write (required)
  --extra-tests DIR         hidden tests (DIR/*.checks.ts) to ship as hidden-tests/
  --hidden-visibility V     their visibility: hidden, after_due_date, after_published (default), visible
  --node-tarball FILE       a node-v20.*-linux-x64.tar.xz to install offline (vendor/)
  --npm-cache DIR           an npm cache holding the kit's packages, for an offline npm ci (vendor/npm-cache)
  -h, --help                this help
`;

/** The kit's files to ship: what git tracks (or, outside git, the tree without node_modules, out and .git). */
function kitFiles(): string[] {
  const git = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  if (git.status === 0 && git.stdout.length > 0) return git.stdout.split("\0").filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const p = path.join(rel, e.name);
      if (["node_modules", "out", ".git"].includes(e.name) && rel === "") continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk("");
  return out;
}

export function setupScript(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
set -euo pipefail
cd "$(dirname "$0")"
node_ok() { command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; }
if ! node_ok; then
  if ls vendor/node-v*-linux-x64.tar.xz >/dev/null 2>&1; then
    tar -xJf vendor/node-v*-linux-x64.tar.xz -C /usr/local --strip-components=1   # offline
  else
    apt-get update
    apt-get install -y ca-certificates curl gnupg
    curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
    apt-get install -y nodejs
  fi
fi
# prlimit, unshare, setpriv and mkfifo: the grader's sandbox (README, "The sandbox").
command -v prlimit >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 || apt-get install -y util-linux
if [ -d vendor/npm-cache ]; then
  npm ci --offline --cache vendor/npm-cache --no-audit --no-fund
else
  npm ci --no-audit --no-fund
fi
# Fill the grader's compile cache now, so that grading a submission starts at once.
node --require ./grader/register.js grader/cli.ts 1.3 --impl solutions --no-typecheck >/dev/null
`;
}

export function runScript(visibility: Visibility): string {
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades $ROOT/submission into $ROOT/results/results.json.
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
RESULTS="$ROOT/results/results.json"
rm -f "$RESULTS"
HIDDEN=()
if [ -d hidden-tests ]; then HIDDEN=(--extra-tests "$PWD/hidden-tests" --hidden-visibility ${visibility}); fi
unset INIT_CWD # paths are absolute or relative to here
# AUTOGRADER_GRADE_ARGS: extra arguments (exercise ids, --timeout …) for tests and tutors.
# shellcheck disable=SC2086
node --require ./grader/register.js grader/cli.ts \${AUTOGRADER_GRADE_ARGS:-} --impl "$ROOT/submission" --json "$RESULTS" "\${HIDDEN[@]}" \\
  >"$ROOT/results/feedback.txt" 2>"$ROOT/results/grader-stderr.txt"
status=$?
if [ ! -s "$RESULTS" ]; then
  # The grader itself failed: say so rather than leave Gradescope without results.
  printf '{"score": 0, "output": "The autograder could not grade this submission (grader exit status %s). Please tell your instructor.", "visibility": "visible", "tests": []}\\n' "$status" >"$RESULTS"
fi
exit 0
`;
}

export interface BuildOptions {
  out: string;
  extraTests?: string;
  hiddenVisibility: Visibility;
  nodeTarball?: string;
  npmCache?: string;
}

/** Builds the zip; returns the number of files in it. */
export function buildAutograder(o: BuildOptions): number {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "autograder-"));
  try {
    let n = 0;
    for (const rel of kitFiles()) {
      const dest = path.join(stage, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const st = fs.lstatSync(path.join(ROOT, rel));
      if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(path.join(ROOT, rel)), dest);
      else fs.copyFileSync(path.join(ROOT, rel), dest);
      n++;
    }
    if (o.extraTests) {
      const dir = path.resolve(o.extraTests);
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".checks.ts"));
      if (files.length === 0) throw new Error(`--extra-tests: ${o.extraTests} holds no *.checks.ts file`);
      fs.mkdirSync(path.join(stage, "hidden-tests"));
      for (const f of files) fs.copyFileSync(path.join(dir, f), path.join(stage, "hidden-tests", f));
      n += files.length;
    }
    if (o.nodeTarball) {
      fs.mkdirSync(path.join(stage, "vendor"), { recursive: true });
      fs.copyFileSync(o.nodeTarball, path.join(stage, "vendor", path.basename(o.nodeTarball)));
      n++;
    }
    if (o.npmCache) {
      fs.cpSync(o.npmCache, path.join(stage, "vendor", "npm-cache"), { recursive: true });
      n++;
    }
    fs.writeFileSync(path.join(stage, "setup.sh"), setupScript(), { mode: 0o755 });
    fs.writeFileSync(path.join(stage, "run_autograder"), runScript(o.hiddenVisibility), { mode: 0o755 });
    n += 2;
    const out = path.resolve(o.out);
    fs.rmSync(out, { force: true });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const zip = spawnSync("zip", ["-q", "-r", "-y", out, "."], { cwd: stage, encoding: "utf8" });
    if (zip.status !== 0) throw new Error(`zip failed (is the zip command installed?): ${zip.stderr || zip.error?.message}`);
    return n;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

export function main(argv: readonly string[]): number {
  const args = [...argv];
  const o: Partial<BuildOptions> & { hiddenVisibility: Visibility } = { hiddenVisibility: "after_published" };
  const userPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
  try {
    while (args.length > 0) {
      const a = args.shift() as string;
      const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
      const v = () => {
        const x = inline ?? args.shift();
        if (!x) throw new Error(`${flag} needs a value`);
        return x;
      };
      if (flag === "-h" || flag === "--help") {
        process.stdout.write(USAGE);
        return 0;
      } else if (flag === "--out") o.out = userPath(v());
      else if (flag === "--extra-tests") o.extraTests = userPath(v());
      else if (flag === "--node-tarball") o.nodeTarball = userPath(v());
      else if (flag === "--npm-cache") o.npmCache = userPath(v());
      else if (flag === "--hidden-visibility") {
        const x = v();
        if (!(VISIBILITIES as readonly string[]).includes(x)) throw new Error(`--hidden-visibility must be one of ${VISIBILITIES.join(", ")}, got "${x}"`);
        o.hiddenVisibility = x as Visibility;
      } else throw new Error(`unknown option ${flag}`);
    }
    if (!o.out) throw new Error("--out is required");
  } catch (e) {
    process.stderr.write(`gradescope: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const n = buildAutograder(o as BuildOptions);
  process.stdout.write(`gradescope: wrote ${o.out} (${n} files${o.extraTests ? ", with hidden tests" : ""}); upload it as the assignment's autograder\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
