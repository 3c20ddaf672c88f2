/**
 * A PyTorch peer for side-by-side benchmarks: a Python script under bench/pytorch/ run as a child
 * process (Debian's /usr/bin/python3 with python3-torch), spoken to in JSON lines: one request
 * per line on its stdin, one reply per line on its stdout. PyTorch runs on ONE thread
 * (torch.set_num_threads(1), OMP/MKL threads 1): on a shared 2-core machine two threads are
 * slower, and one thread is what tfjs-wasm gets in Node.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import * as tf from "@tensorflow/tfjs";
import type { NamedVariable } from "../lib/support/models/params";

export const PYTHON = process.env.LAB_PYTHON ?? "/usr/bin/python3";

/** PyTorch's version, or undefined when python3-torch is not installed. */
export function torchVersion(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export class PythonPeer {
  private child: ChildProcessWithoutNullStreams;
  private lines: AsyncIterator<string>;
  private stderr = "";

  constructor(script: string) {
    this.child = spawn(PYTHON, ["-u", path.join(__dirname, "pytorch", script)], {
      env: { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", OMP_WAIT_POLICY: "PASSIVE" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stderr.on("data", (c: Buffer) => {
      this.stderr = (this.stderr + c.toString("utf8")).slice(-4000);
    });
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** Sends one request and waits for its reply; a reply with `error` rejects. */
  async request<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(JSON.stringify(message) + "\n");
    const next = await this.lines.next();
    if (next.done) throw new Error(`PyTorch peer exited: ${this.stderr.trim() || "no output"}`);
    const reply = JSON.parse(next.value) as T & { error?: string };
    if (reply.error) throw new Error(`PyTorch peer: ${reply.error}`);
    return reply;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/**
 * Writes the variables one after another as raw float32 (in `named`'s order) to `file`, for a
 * peer's "load" request, which gets the same list of names and shapes as its manifest.
 */
export function writeFlatWeights(named: readonly NamedVariable[], file: string): void {
  const flat = tf.tidy(() => tf.concat(named.map((n) => tf.reshape(n.variable, [-1]))).dataSync() as Float32Array);
  fs.writeFileSync(file, Buffer.from(flat.buffer));
}

/** CPU time (user + system, ms) of this process so far. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
