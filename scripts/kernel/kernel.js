// @ts-check
/**
 * The Attention Lab kernel: this project's tslab with three fixes, started by launch.js (the
 * launcher in the Jupyter kernel spec) with the project that contains the notebook.
 *
 * 1. No dropped cells. After a failed cell tslab rejects every request for the next 200 ms
 *    (`execQueue.reset(200)`), so a cell run right after an error silently shows `In [ ]`.
 *    Here, as in IPython's kernel: a failure aborts only the requests that were sent before it
 *    ended, i.e. queued behind it (and only if they ask for it, `stop_on_error`); anything sent
 *    afterwards runs.
 * 2. Execution counts. tslab never publishes `execute_input`, so nbclient/nbconvert record no
 *    execution count and exported notebooks show `In [ ]:` everywhere. Here each execution
 *    publishes it (and the reply says `aborted`, the protocol's word, not tslab's `abort`).
 * 3. Short errors with .ts line numbers (errors.js, sourcemaps.js).
 *
 * Written against tslab 1.0.22 (the version package.json pins); with another version whose
 * internals differ it says so and starts tslab unchanged.
 */
const fs = require("fs");
const path = require("path");
const sourcemaps = require("./sourcemaps");
const { formatError, diagnosticHint } = require("./errors");

const TESTED_TSLAB = "1.0.22";

/**
 * @param {{ connectionFile: string, root: string, kernelName?: string, ownProject?: boolean }} opts
 */
function start(opts) {
  const { connectionFile, root } = opts;
  process.env.LAB_PROJECT_ROOT = root;
  process.env.LAB_KERNEL_NAME = opts.kernelName ?? "attention-lab";
  const tslabDir = path.join(root, "node_modules", "tslab");
  const version = JSON.parse(fs.readFileSync(path.join(tslabDir, "package.json"), "utf8")).version;
  const dist = (/** @type {string} */ name) => path.join(tslabDir, "dist", name);

  let patched = true;
  try {
    sourcemaps.install(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] }));
  } catch (e) {
    patched = false;
    console.error(`Attention Lab kernel: source maps unavailable (${/** @type {Error} */ (e).message}); line numbers refer to generated JavaScript`);
  }
  const jupyter = require(dist("jupyter.js"));
  const { createExecutor } = require(dist("executor.js"));
  const { createConverter } = require(dist("converter.js"));
  const Handler = jupyter.JupyterHandlerImpl;
  const Server = jupyter.ZmqServer;
  const shapeOk =
    typeof Handler?.prototype?.handleExecuteImpl === "function" &&
    typeof Server?.prototype?.handleExecute === "function" &&
    typeof createExecutor === "function" &&
    typeof createConverter === "function";
  if (!shapeOk) {
    console.error(`Attention Lab kernel: tslab ${version} differs from the tested ${TESTED_TSLAB}; starting it without the lab's fixes`);
    require(dist("main.js")).startKernel({ configPath: connectionFile, enableFindLocal: false });
    return;
  }

  class LabHandler extends Handler {
    /** @param {any} executor */
    constructor(executor) {
      super(executor, false);
      /** @type {{ at: number, skew: number } | undefined} kernel time of the last failure; the failing request's clock offset */
      this.lastFailure = undefined;
      /** @type {Promise<unknown>} */
      this.tail = Promise.resolve();
      /** @type {unknown} */
      this.lastError = undefined;
    }

    /**
     * Was this request sent before the last failure ended, i.e. queued behind the failed cell
     * ("Run All", or Shift+Enter pressed again while it ran)? Then Jupyter's convention is to
     * abort it. Anything sent after the failure runs. The sender's clock may differ from ours:
     * its offset is estimated from the failed request (send → receive), which can only make a
     * queued request look later, never a new one earlier; so no cell sent after an error is dropped.
     * @param {{ sentAt?: number }} info
     */
    queuedBehindFailure(info) {
      const f = this.lastFailure;
      return f !== undefined && info.sentAt !== undefined && info.sentAt + f.skew < f.at;
    }

    /**
     * @param {{ code: string, stop_on_error?: boolean, silent?: boolean }} req
     * @param {any} writeStream @param {any} writeDisplayData
     * @param {(code: string, count: number) => void} [writeInput]
     * @param {{ sentAt?: number, receivedAt?: number }} [info]
     */
    handleExecute(req, writeStream, writeDisplayData, writeInput, info = {}) {
      const run = this.tail.then(async () => {
        if (req.stop_on_error !== false && this.queuedBehindFailure(info)) {
          return { status: "aborted", execution_count: null };
        }
        writeInput?.(req.code, this.execCount + 1);
        sourcemaps.setCellSource(req.code);
        this.lastError = undefined;
        try {
          const count = await this.handleExecuteImpl(req, writeStream, writeDisplayData);
          return { status: "ok", execution_count: count.count };
        } catch (e) {
          const skew = info.sentAt !== undefined && info.receivedAt !== undefined ? info.receivedAt - info.sentAt : 0;
          this.lastFailure = { at: Date.now(), skew };
          const count = e && typeof e === "object" && "count" in e ? /** @type {{ count: number }} */ (e).count : null;
          if (count === null) console.error("Attention Lab kernel: unexpected error:", e);
          const err = /** @type {any} */ (this.lastError);
          return {
            status: "error",
            execution_count: count,
            ename: err?.name ?? "Error",
            evalue: err?.message ?? "the cell failed (see the messages above)",
            traceback: [],
          };
        }
      });
      this.tail = run.catch(() => undefined);
      return run;
    }
  }

  class LabServer extends Server {
    /**
     * Like tslab's, plus execute_input (with the execution count) before the cell runs.
     * @param {any} sock
     * @param {any} msg
     */
    async handleExecute(sock, msg) {
      const self = /** @type {any} */ (this);
      const reply = msg.createReply();
      reply.header.msg_type = "execute_reply";
      const send = (/** @type {string} */ type, /** @type {unknown} */ content) => {
        const m = msg.createReply();
        m.header.msg_type = type;
        m.content = content;
        m.signAndSend(self.connInfo.key, self.iopub);
      };
      const writeStream = (/** @type {string} */ name, /** @type {string} */ text) => send("stream", { name, text });
      const writeDisplayData = (/** @type {unknown} */ data, /** @type {boolean} */ update) => send(update ? "update_display_data" : "display_data", data);
      const writeInput = (/** @type {string} */ code, /** @type {number} */ count) => send("execute_input", { code, execution_count: count });
      const sentAt = Date.parse(String(msg.header?.date ?? ""));
      const info = { sentAt: Number.isFinite(sentAt) ? sentAt : undefined, receivedAt: Date.now() };
      reply.content = await self.handler.handleExecute(msg.content, writeStream, writeDisplayData, writeInput, info);
      reply.signAndSend(self.connInfo.key, sock);
    }
  }

  const cwd = process.cwd();
  // Node keeps 10 frames; an error raised inside tfjs uses them all before reaching the student's code.
  Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 50);
  /** @type {LabHandler | undefined} */
  let handler;
  const ctx = { cwd, originalPosition: sourcemaps.originalPosition, cellSource: sourcemaps.cellSource };
  const printError = (/** @type {unknown[]} */ ...args) => {
    if (args.length === 1 && args[0] && typeof args[0] === "object" && "stack" in /** @type {object} */ (args[0])) {
      if (handler) handler.lastError = args[0];
      process.stderr.write(formatError(args[0], ctx) + "\n");
      return;
    }
    console.error(...args);
    // tslab's compile errors: console.error("%s%d:%d - %s", file, line, col, message)
    const hint = args[0] === "%s%d:%d - %s" ? diagnosticHint(String(args[4])) : undefined;
    if (hint) process.stderr.write(`    ${hint}\n`);
  };

  /** @type {Record<string, any>} */
  const converters = {};
  const convs = {
    get node() {
      return (converters.node ??= createConverter({ isJS: false, isBrowser: false }));
    },
    get browser() {
      return (converters.browser ??= createConverter({ isJS: false, isBrowser: true }));
    },
    close() {
      for (const c of Object.values(converters)) c.close();
    },
  };
  convs.node; // warm up the compiler before the first cell arrives
  const executor = createExecutor(cwd, convs, { log: console.log, error: printError });
  handler = new LabHandler(executor);
  const server = new /** @type {any} */ (LabServer)(handler, connectionFile);
  process.on("SIGINT", () => executor.interrupt());
  process.on("uncaughtException", (err) => process.stderr.write(`Uncaught exception (outside the cell that started it): ${formatError(err, ctx)}\n`));
  process.on("unhandledRejection", (reason) => process.stderr.write(`Unhandled promise rejection: ${formatError(reason, ctx)}\n`));
  if (!patched) console.error("Attention Lab kernel: started without source maps");
  server.init();
}

module.exports = { start, TESTED_TSLAB };
