/**
 * A training recipe: the data, the model and the budget of one trained model of the course, in
 * one place that the notebook, `npm run train -- <task>` (the committed checkpoint) and
 * `npm run bench -- <task>` (the full-budget quality check) all use.
 */
import type { NamedVariable } from "../models/params";

/** A model a task trains: its trained tensors by name, and how to free it. */
export interface TaskModel {
  /** Plain data (JSON-serialisable) that fixes the model's shapes; stored in the checkpoint. */
  readonly config: unknown;
  named(): NamedVariable[];
  dispose(): void;
}

export interface TaskTrainOptions {
  /** Progress lines on the terminal (the notebook's live plot shows the same). */
  log?: (line: string) => void;
}

export interface Task<M extends TaskModel = TaskModel> {
  /** "names": `npm run train -- names`, checkpoints/names.json. */
  readonly name: string;
  /** One line for `npm run train -- --list`. */
  readonly description: string;
  /** The seed of the committed checkpoint. */
  readonly seed: number;
  /** A fresh model (seeded). */
  create(seed?: number): M;
  /** The checkpoint's recipe: a fixed number of steps, so the same machine makes the same file. */
  train(model: M, opts?: TaskTrainOptions): Promise<{ steps: number; seconds: number }>;
  /** The scores a checkpoint records, and `npm run train -- <task> --check` re-measures. */
  evaluate(model: M): Record<string, number>;
}

/**
 * A run too long for a notebook's default mode whose figures are committed instead:
 * `npm run train -- <name>` runs it and writes checkpoints/<name>.json (saveResults), the notebook
 * shows them (loadResults), and `npm run bench` re-runs a part of it.
 */
export interface Experiment<R = unknown> {
  readonly name: string;
  readonly description: string;
  run(opts?: TaskTrainOptions): Promise<R>;
  /** The figures `npm run train -- <name> --check` compares between the file and a new run. */
  metrics(results: R): Record<string, number>;
}
