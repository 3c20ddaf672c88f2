/**
 * Trained weights on disk: checkpoints/<task>.json (what was trained, how, and what it scored)
 * next to checkpoints/<task>.bin (the float32 values, little-endian, tensor after tensor).
 *
 * Checkpoints are made by `npm run train -- <task>` (scripts/train.ts, seeded, a fixed number of
 * steps, so the same machine makes the same file) and committed, so a notebook can show a fully
 * trained model in seconds and keep a short "train it yourself" cell for the live version.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { fmtShape } from "./checks";
import type { NamedVariable } from "./models/params";

export interface CheckpointTensor {
  name: string;
  shape: number[];
  /** Offset in floats into the .bin file. */
  offset: number;
}

export interface CheckpointMeta {
  format: 1;
  task: string;
  /** What made it, for the notebook's caption: "npm run train -- names". */
  command: string;
  created: string;
  seed: number;
  steps: number;
  /** Training time on the machine that made it. */
  seconds: number;
  /** Scores measured right after training (e.g. validation loss). */
  metrics: Record<string, number>;
  /** The model's configuration (checked against the model it is loaded into). */
  config: unknown;
  tensors: CheckpointTensor[];
  /** sha256 of the .bin file. */
  sha256: string;
  tfjs: string;
}

/** The project root: the folder above lib/ holding package.json (through the notebooks/lib symlink too). */
export function projectRoot(): string {
  let dir = fs.realpathSync(__dirname);
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "lib"))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`checkpoints: cannot find the project root above ${fs.realpathSync(__dirname)}`);
}

export function checkpointDir(): string {
  return path.join(projectRoot(), "checkpoints");
}

function files(task: string, dir = checkpointDir()): { json: string; bin: string } {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(task)) throw new Error(`checkpoints: task names are lower-case words with dashes, got "${task}"`);
  return { json: path.join(dir, `${task}.json`), bin: path.join(dir, `${task}.bin`) };
}

const rebuild = (task: string) => `rebuild it with: npm run train -- ${task}`;

/** Writes the variables' current values and `meta` as checkpoint `task`. Returns the two files. */
export function saveCheckpoint(
  task: string,
  named: readonly NamedVariable[],
  meta: Omit<CheckpointMeta, "format" | "task" | "tensors" | "sha256" | "tfjs" | "created">,
  dir = checkpointDir(),
): { json: string; bin: string } {
  const out = files(task, dir);
  const names = new Set<string>();
  const tensors: CheckpointTensor[] = [];
  let offset = 0;
  for (const { name, variable } of named) {
    if (names.has(name)) throw new Error(`saveCheckpoint: two tensors are named "${name}"`);
    names.add(name);
    tensors.push({ name, shape: variable.shape, offset });
    offset += variable.size;
  }
  const data = new Float32Array(offset);
  named.forEach(({ variable }, i) => data.set(variable.dataSync() as Float32Array, tensors[i].offset));
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const full: CheckpointMeta = {
    format: 1, task, created: new Date().toISOString(), ...meta, tensors,
    sha256: crypto.createHash("sha256").update(bytes).digest("hex"), tfjs: tf.version.tfjs,
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(out.bin, bytes);
  fs.writeFileSync(out.json, JSON.stringify(full, null, 1) + "\n");
  return out;
}

/** Whether checkpoint `task` exists (both files). */
export function hasCheckpoint(task: string, dir = checkpointDir()): boolean {
  const f = files(task, dir);
  return fs.existsSync(f.json) && fs.existsSync(f.bin);
}

/** The checkpoint's description, without reading the weights. */
export function readCheckpointMeta(task: string, dir = checkpointDir()): CheckpointMeta {
  const f = files(task, dir);
  if (!fs.existsSync(f.json)) throw new Error(`checkpoint "${task}": ${path.relative(projectRoot(), f.json)} is missing; ${rebuild(task)}`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(fs.readFileSync(f.json, "utf8")) as CheckpointMeta;
  } catch (e) {
    throw new Error(`checkpoint "${task}": ${path.relative(projectRoot(), f.json)} is not valid JSON (${(e as Error).message}); ${rebuild(task)}`);
  }
  if (meta.format !== 1 || !Array.isArray(meta.tensors)) throw new Error(`checkpoint "${task}": ${path.relative(projectRoot(), f.json)} is not a format-1 checkpoint; ${rebuild(task)}`);
  return meta;
}

/**
 * Loads checkpoint `task` into the variables (matched by name): every variable must be in the
 * checkpoint with the same shape, and `config`, when given, must equal the one it was trained
 * with. A missing, truncated or altered file is an error naming the file and the rebuild command.
 */
export function loadCheckpoint(task: string, named: readonly NamedVariable[], opts: { config?: unknown; dir?: string } = {}): CheckpointMeta {
  const dir = opts.dir ?? checkpointDir();
  const meta = readCheckpointMeta(task, dir);
  const f = files(task, dir);
  const shown = path.relative(projectRoot(), f.bin);
  if (!fs.existsSync(f.bin)) throw new Error(`checkpoint "${task}": ${shown} is missing; ${rebuild(task)}`);
  const bytes = fs.readFileSync(f.bin);
  if (crypto.createHash("sha256").update(bytes).digest("hex") !== meta.sha256) {
    throw new Error(`checkpoint "${task}": ${shown} does not match its checksum (truncated or changed; a git-lfs pointer?); ${rebuild(task)}`);
  }
  if (opts.config !== undefined && JSON.stringify(opts.config) !== JSON.stringify(meta.config)) {
    throw new Error(`checkpoint "${task}" was trained with config ${JSON.stringify(meta.config)}, not ${JSON.stringify(opts.config)}; ${rebuild(task)}`);
  }
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const byName = new Map(meta.tensors.map((t) => [t.name, t]));
  for (const { name, variable } of named) {
    const t = byName.get(name);
    if (!t) throw new Error(`checkpoint "${task}" has no tensor "${name}"; ${rebuild(task)}`);
    if (fmtShape(t.shape) !== fmtShape(variable.shape)) {
      throw new Error(`checkpoint "${task}": tensor "${name}" is ${fmtShape(t.shape)}, the model's is ${fmtShape(variable.shape)}; ${rebuild(task)}`);
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    tf.tidy(() => variable.assign(tf.tensor(data.subarray(t.offset, t.offset + size), t.shape, "float32")));
  }
  return meta;
}

// ---------------------------------------------------------------------------------------------
// Experiment results: checkpoints/<name>.json without weights, for figures a notebook shows from
// a run that is too long for its default mode (made by `npm run train -- <name>`).

export interface ResultsFile<R = unknown> {
  format: 1;
  experiment: string;
  /** What made it: "npm run train -- vit-data-size". */
  command: string;
  created: string;
  /** CPU seconds the whole run took on the machine that made it. */
  seconds: number;
  tfjs: string;
  results: R;
}

/** Writes checkpoints/<name>.json holding `results` and how they were made. */
export function saveResults<R>(name: string, results: R, meta: { command: string; seconds: number }, dir = checkpointDir()): string {
  const out = files(name, dir).json;
  const full: ResultsFile<R> = { format: 1, experiment: name, command: meta.command, created: new Date().toISOString(), seconds: meta.seconds, tfjs: tf.version.tfjs, results };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(out, JSON.stringify(full, null, 1) + "\n");
  return out;
}

/** Reads checkpoints/<name>.json written by saveResults; a missing or broken file names the rebuild command. */
export function loadResults<R>(name: string, dir = checkpointDir()): ResultsFile<R> {
  const f = files(name, dir).json;
  const shown = path.relative(projectRoot(), f);
  if (!fs.existsSync(f)) throw new Error(`results "${name}": ${shown} is missing; ${rebuild(name)}`);
  let r: ResultsFile<R>;
  try {
    r = JSON.parse(fs.readFileSync(f, "utf8")) as ResultsFile<R>;
  } catch (e) {
    throw new Error(`results "${name}": ${shown} is not valid JSON (${(e as Error).message}); ${rebuild(name)}`);
  }
  if (r.format !== 1 || r.experiment !== name || r.results === undefined) throw new Error(`results "${name}": ${shown} is not a format-1 results file of "${name}"; ${rebuild(name)}`);
  return r;
}
