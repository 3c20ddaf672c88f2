/**
 * Every training task of the course (see task.ts). A notebook that ships a checkpoint adds its
 * task here; `npm run train -- --list` prints them.
 */
import type { Experiment, Task, TaskModel } from "./task";
import { namesTask } from "./names";
import { loadCheckpoint, readCheckpointMeta, type CheckpointMeta } from "../checkpoints";
import { G2P_GRU_TASK, G2P_TASK } from "./g2p";
import { dataSizeExperiment } from "./data-size";
import { cnnTask, vitTask } from "./vit";
import { spamMlmTask, spamScratchTask, spamTask } from "./spam";

export type { Experiment, Task, TaskModel, TaskTrainOptions } from "./task";

export const TASKS: readonly Task[] = [namesTask as unknown as Task, ...([G2P_TASK, G2P_GRU_TASK] as unknown as readonly Task[]), vitTask as unknown as Task, cnnTask as unknown as Task, spamMlmTask, spamTask, spamScratchTask] as readonly Task[];

/** Runs whose figures are committed (checkpoints/<name>.json, no weights); see Experiment. */
export const EXPERIMENTS: readonly Experiment[] = [dataSizeExperiment as Experiment];

export function findExperiment(name: string): Experiment | undefined {
  return EXPERIMENTS.find((x) => x.name === name);
}

export function findTask(name: string): Task {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new Error(`Unknown task "${name}". Known: ${TASKS.map((x) => x.name).join(", ") || "(none)"}`);
  return t;
}

/**
 * A task's model with the committed checkpoint's weights, and what the checkpoint says about
 * itself (steps, time, scores): what a notebook shows in seconds instead of training for minutes.
 */
export function loadTrained<M extends TaskModel>(task: Task<M>): { model: M; meta: CheckpointMeta } {
  const model = task.create();
  try {
    const meta = loadCheckpoint(task.name, model.named(), { config: model.config });
    return { model, meta };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** "trained by `npm run train -- names`: 2000 steps in 38 s; validation NLL 2.051" */
export function describeCheckpoint(task: string): string {
  const m = readCheckpointMeta(task);
  const scores = Object.entries(m.metrics).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(", ");
  return `trained by \`${m.command}\`: ${m.steps} steps in ${Math.round(m.seconds)} s${scores ? `; ${scores}` : ""}`;
}
