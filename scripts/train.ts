/**
 * `npm run train -- <task> [--seed N]`: train a task's model with its recipe and write the
 * checkpoint (checkpoints/<task>.json + .bin). `--check` instead loads the committed checkpoint
 * and re-measures its scores (they must match what it recorded); `--list` lists the tasks.
 * An experiment's name (EXPERIMENTS) runs it and writes its results file checkpoints/<name>.json;
 * with `--check` it runs again and compares with the committed file.
 */
import { setupBackend } from "../lib/support/backend";
import { loadCheckpoint, loadResults, saveCheckpoint, saveResults } from "../lib/support/checkpoints";
import { EXPERIMENTS, findExperiment, findTask, TASKS, type Experiment } from "../lib/support/tasks";

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--list") || argv.length === 0) {
    console.log([...TASKS, ...EXPERIMENTS].length === 0 ? "No training tasks yet." : [...TASKS, ...EXPERIMENTS].map((t) => `${t.name.padEnd(14)} ${t.description}`).join("\n"));
    return argv.length === 0 ? 2 : 0;
  }
  const names = argv.filter((a) => !a.startsWith("--") && !/^\d+$/.test(a));
  const seedAt = argv.indexOf("--seed");
  const check = argv.includes("--check");
  await setupBackend(undefined, { quiet: true });
  let failed = 0;
  for (const name of names) {
    const experiment = findExperiment(name);
    if (experiment) {
      if (!(await runExperiment(experiment, check))) failed++;
      continue;
    }
    const task = findTask(name);
    const seed = seedAt >= 0 ? Number(argv[seedAt + 1]) : task.seed;
    const model = task.create(seed);
    try {
      if (check) {
        const meta = loadCheckpoint(task.name, model.named(), { config: model.config });
        const now = task.evaluate(model);
        const bad = Object.entries(meta.metrics).filter(([k, v]) => !(k in now) || !close(now[k], v));
        for (const [k, v] of Object.entries(meta.metrics)) console.log(`${name}: ${k} recorded ${v}, measured now ${now[k]}`);
        if (bad.length > 0) failed++;
        continue;
      }
      console.log(`training ${name} (seed ${seed}) ...`);
      const { steps, seconds } = await task.train(model, { log: (l) => console.log(`  ${l}`) });
      const metrics = task.evaluate(model);
      const files = saveCheckpoint(task.name, model.named(), { command: `npm run train -- ${task.name}`, seed, steps, seconds, metrics, config: model.config });
      console.log(`${name}: ${steps} steps in ${seconds.toFixed(1)} s; ${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}\n  wrote ${files.json} and ${files.bin}`);
    } finally {
      model.dispose();
    }
  }
  return failed === 0 ? 0 : 1;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs an experiment and writes its results file (or, with check, compares a new run with it). */
async function runExperiment(experiment: Experiment, check: boolean): Promise<boolean> {
  const committed = check ? loadResults(experiment.name) : undefined;
  console.log(`running ${experiment.name} ...`);
  const c0 = cpuSeconds();
  const results = await experiment.run({ log: (l) => console.log(`  ${l}`) });
  const seconds = cpuSeconds() - c0;
  const now = experiment.metrics(results);
  if (committed) {
    const before = experiment.metrics(committed.results);
    const bad = Object.keys(before).filter((k) => !(k in now) || !close(now[k], before[k]));
    for (const [k, v] of Object.entries(before)) console.log(`${experiment.name}: ${k} recorded ${v}, measured now ${now[k]}`);
    return bad.length === 0;
  }
  const file = saveResults(experiment.name, results, { command: `npm run train -- ${experiment.name}`, seconds });
  console.log(`${experiment.name}: ${Object.entries(now).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")} (${seconds.toFixed(0)} s CPU)\n  wrote ${file}`);
  return true;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
