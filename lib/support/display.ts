/**
 * Rich output for the notebooks: one `display_data` message carrying several representations of
 * the same thing (a MIME bundle), so that each front end picks what it renders best.
 *
 * tslab's public API (`tslab.display.html(...)`, `.svg`, `.raw(mime, data)`) sends one MIME type
 * per message. Underneath, it calls the writer of the cell that is running,
 * `lastWriteDisplayData({ data, metadata, transient }, update)` in tslab's dist/jupyter.js,
 * and that writer takes any bundle. This module finds that writer in the running kernel (the
 * jupyter.js next to the tslab module the notebook imported) and sends whole bundles; display
 * ids make an output that later calls replace (live plots). If the writer cannot be found (a
 * tslab whose internals changed), it falls back to tslab's one-type API with the bundle's
 * text/html (or text/plain).
 */
import * as path from "path";
import type * as Tslab from "tslab";

/**
 * tslab, loaded on first display: importing it loads the TypeScript compiler (~10 MB), which
 * the grader, the scripts and the tests that import a model never need.
 */
function tslabModule(): typeof Tslab {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("tslab") as typeof Tslab;
}

/** MIME type → data (strings, or JSON objects for application/*+json types). */
export type MimeBundle = Record<string, unknown>;

type Writer = (msg: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean) => void;

function tslabJupyterModule(): { lastWriteDisplayData?: Writer | null } | undefined {
  for (const mod of Object.values(require.cache)) {
    if (mod && mod.exports === tslabModule()) {
      return require.cache[path.join(path.dirname(mod.filename), "jupyter.js")]?.exports;
    }
  }
  return undefined;
}

function currentWriter(): Writer | undefined {
  const writer = tslabJupyterModule()?.lastWriteDisplayData;
  return typeof writer === "function" ? writer : undefined;
}

/** True when the bundle route works in this kernel (it does under the course's tslab). */
export function canDisplayBundles(): boolean {
  return currentWriter() !== undefined;
}

function send(data: MimeBundle, displayId: string | undefined, update: boolean, fallback: Tslab.Display): void {
  const writer = currentWriter();
  if (writer) {
    writer({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
    return;
  }
  if (typeof data["text/html"] === "string") fallback.html(data["text/html"]);
  else fallback.text(String(data["text/plain"] ?? ""));
}

/** Shows a MIME bundle as one output of the running cell. */
export function displayBundle(data: MimeBundle): void {
  send(data, undefined, false, tslabModule().display);
}

/** An output that later calls replace in place (e.g. a training curve that grows). */
export interface DisplayHandle {
  update(data: MimeBundle): void;
}

let handles = 0;

/** A new replaceable output; its first update creates it, later ones replace it. */
export function newDisplayHandle(): DisplayHandle {
  const id = `lab-${process.pid}-${Date.now().toString(36)}-${++handles}`;
  let shown = false;
  let fallback: Tslab.Display | undefined;
  return {
    update(data: MimeBundle): void {
      send(data, id, shown, (fallback ??= tslabModule().newDisplay()));
      shown = true;
    },
  };
}
