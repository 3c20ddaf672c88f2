#!/usr/bin/env node
// @ts-check
/**
 * The Attention Lab kernel launcher. `npm start` copies this file into the Jupyter kernel spec
 * folder (kernels/attention-lab/launch.js) and kernel.json runs it with Node.
 *
 * It starts the kernel of the notebook's OWN project: Jupyter starts kernels in the notebook's
 * folder, so the launcher walks up from there to the first folder holding this project's
 * scripts/kernel/kernel.js and node_modules/tslab. Two clones each use their own code; a moved
 * clone keeps working; deleting a clone breaks nothing for the others. A notebook outside any
 * clone falls back to the clones that registered the kernel (projects.json, newest first).
 *
 * Self-contained on purpose (only Node built-ins): it must work whichever clone wrote it.
 */
const fs = require("fs");
const path = require("path");

const SPEC_DIR = __dirname;

/** @param {string} dir */
function isProject(dir) {
  return (
    fs.existsSync(path.join(dir, "scripts", "kernel", "kernel.js")) &&
    fs.existsSync(path.join(dir, "node_modules", "tslab", "package.json"))
  );
}

/** @param {string} start @returns {string | undefined} */
function findProjectAbove(start) {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (isProject(dir)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** @returns {string[]} */
function registeredProjects() {
  try {
    const list = JSON.parse(fs.readFileSync(path.join(SPEC_DIR, "projects.json"), "utf8")).projects;
    return Array.isArray(list) ? list.filter((p) => typeof p === "string") : [];
  } catch {
    return [];
  }
}

function main() {
  const connectionFile = process.argv[2];
  if (!connectionFile) {
    console.error("usage: launch.js CONNECTION_FILE (Jupyter passes it)");
    process.exit(2);
  }
  const own = findProjectAbove(process.cwd());
  const root = own ?? registeredProjects().find(isProject);
  if (!root) {
    console.error(
      `Attention Lab kernel: no Attention Lab project (with node_modules installed) contains ${process.cwd()}, ` +
        `and none of the clones that registered this kernel exists any more. ` +
        `Run "npm install && npm start" in a clone, and open notebooks from its notebooks/ folder.`,
    );
    process.exit(1);
  }
  // Jupyter starts the kernel as its child. If the server dies without shutting the kernel down
  // (killed, crashed, a test run cut short), the kernel would live on with nobody to talk to:
  // exit when the parent is gone.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 2000).unref();
  require(path.join(root, "scripts", "kernel", "kernel.js")).start({
    connectionFile,
    root,
    kernelName: path.basename(SPEC_DIR),
    ownProject: own !== undefined,
  });
}

main();
