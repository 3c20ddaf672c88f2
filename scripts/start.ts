/**
 * `npm start`: register the TypeScript kernel, then open Jupyter on notebooks/ (or say how to
 * get a notebook UI). Other arguments go to Jupyter (`npm start -- --no-browser --port 9000`);
 * `npm start -- --dry-run` does everything but launch it.
 */
import { spawn } from "child_process";
import * as path from "path";
import { findJupyter, hasJupyterSubcommand, installKernelSpec, KERNEL_DISPLAY_NAME, PROJECT_ROOT } from "./jupyter";

function main(): void {
  const dryRun = process.argv.includes("--dry-run");
  const passThrough = process.argv.slice(2).filter((a) => a !== "--dry-run");
  const { file, changed } = installKernelSpec();
  console.log(`${changed ? "Registered" : "Kernel already registered:"} "${KERNEL_DISPLAY_NAME}" → ${file}`);
  const impl = process.env.LAB_IMPL === "solutions" ? "the reference solutions (LAB_IMPL=solutions)" : "your code in lib/";
  console.log(`Notebooks will run ${impl}.`);

  const notebooks = path.join(PROJECT_ROOT, "notebooks");
  const jupyter = findJupyter();
  const ui = jupyter && (["lab", "notebook"] as const).find((sub) => hasJupyterSubcommand(jupyter, sub));
  if (!jupyter || !ui) {
    console.log(
      [
        "",
        "No Jupyter notebook UI found. Any one of these opens the notebooks:",
        "  • Debian/Ubuntu:  sudo apt-get install jupyter-notebook   then   npm start",
        "  • pip:            python3 -m pip install notebook         then   npm start",
        "  • VS Code:        install the Jupyter extension, open notebooks/00-setup-and-tensors.ipynb,",
        `                    and pick the kernel "${KERNEL_DISPLAY_NAME}".`,
      ].join("\n"),
    );
    return;
  }
  const args = [ui, `--notebook-dir=${notebooks}`];
  if (process.getuid?.() === 0) args.push("--allow-root"); // Jupyter refuses to run as root otherwise
  args.push(...passThrough);
  console.log(`Starting: ${jupyter} ${args.join(" ")}`);
  if (dryRun) return;
  const child = spawn(jupyter, args, { stdio: "inherit", cwd: notebooks });
  child.on("exit", (code) => process.exit(code ?? 0));
}

main();
