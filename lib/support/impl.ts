/**
 * The switch between your code (lib/) and the reference solutions (solutions/).
 *
 * Notebooks import both and call chooseImpl: by default they run YOUR functions; with
 * LAB_IMPL=solutions in the environment (e.g. `LAB_IMPL=solutions npm start`) they run the
 * reference, with no edit to the notebook.
 */
import * as fs from "fs";
import * as path from "path";

// realpath: in a notebook this file is loaded through the notebooks/lib symlink.
const ROOT = path.resolve(fs.realpathSync(__dirname), "..", "..");

export type ImplName = "lib" | "solutions";

export function selectedImpl(): ImplName {
  const v = (process.env.LAB_IMPL ?? "lib").trim();
  if (v === "" || v === "lib") return "lib";
  if (v === "solutions") return "solutions";
  throw new Error(`chooseImpl: LAB_IMPL must be "lib" or "solutions", got "${v}"`);
}

/** Returns `mine` (lib/) or `reference` (solutions/) according to LAB_IMPL, and says which. */
export function chooseImpl<T extends object>(mine: T, reference: T, opts: { module?: string; quiet?: boolean } = {}): T {
  const which = selectedImpl();
  if (which === "solutions" && !fs.existsSync(path.join(ROOT, "solutions"))) {
    throw new Error(
      "chooseImpl: LAB_IMPL=solutions, but this is the student edition of the kit, which has no reference solutions (solutions/ is not part of it): " +
        "unset LAB_IMPL to run your own code from lib/",
    );
  }
  if (!opts.quiet) {
    const file = opts.module ? `${which}/${opts.module}.ts` : `${which}/`;
    console.log(
      which === "lib"
        ? `Using YOUR code from ${file}${fs.existsSync(path.join(ROOT, "solutions")) ? " (run with LAB_IMPL=solutions to use the reference instead)" : ""}`
        : `Using the REFERENCE solutions from ${file} (LAB_IMPL=solutions)`,
    );
  }
  return which === "lib" ? mine : reference;
}
