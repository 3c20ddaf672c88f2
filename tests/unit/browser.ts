/**
 * Browser helpers for the UI tests: Debian's Chromium through Playwright (offline flags, a fresh
 * profile), a private classic Jupyter notebook server, screenshots under out/screenshots/.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { chromium, type Browser } from "playwright-core";

const ROOT = path.resolve(__dirname, "..", "..");
export const SCREENSHOTS = path.join(ROOT, "out", "screenshots");

/** Debian's Chromium, headless and offline-minded; Playwright gives each launch a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface NotebookServer {
  base: string;
  stop(): Promise<void>;
}

/**
 * A classic notebook server on `nbDir` with Jupyter's data, config and runtime folders under
 * `dir` (so trust signatures and kernels never touch the user's), the course kernel from
 * `jupyterPath`, and the reference solutions.
 */
export async function startNotebookServer(jupyter: string, nbDir: string, dir: string, jupyterPath: string): Promise<NotebookServer> {
  const port = await freePort();
  const args = ["notebook", "--no-browser", `--port=${port}`, "--ip=127.0.0.1", "--NotebookApp.token=", "--NotebookApp.password=", `--notebook-dir=${nbDir}`];
  if (process.getuid?.() === 0) args.push("--allow-root");
  const server: ChildProcess = spawn(jupyter, args, {
    cwd: nbDir,
    detached: true, // its own process group, stopped as a whole below
    stdio: "ignore",
    env: {
      ...process.env,
      JUPYTER_PATH: jupyterPath,
      JUPYTER_DATA_DIR: path.join(dir, "data"),
      JUPYTER_CONFIG_DIR: path.join(dir, "config"),
      JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
      LAB_IMPL: "solutions",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    },
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`jupyter notebook exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/api`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`jupyter notebook did not answer at ${base} within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    async stop() {
      // Kernels run in process groups of their own: shut them down through the server first.
      try {
        const kernels = (await (await fetch(`${base}/api/kernels`)).json()) as { id: string }[];
        await Promise.all(kernels.map((k) => fetch(`${base}/api/kernels/${k.id}`, { method: "DELETE" })));
      } catch {
        // server already gone
      }
      if (server.exitCode === null && server.pid) process.kill(-server.pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      if (server.exitCode === null && server.pid) process.kill(-server.pid, "SIGKILL");
    },
  };
}
