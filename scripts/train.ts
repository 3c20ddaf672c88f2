/**
 * `npm run train -- <task> [--seed N]`: train a task's model with its recipe and write the
 * checkpoint (checkpoints/<task>.json + .bin). `--check` instead loads the committed checkpoint
 * and re-measures its scores (they must match what it recorded); `--list` lists the tasks.
 */
import { setupBackend } from "../lib/support/backend";
import { loadCheckpoint, saveCheckpoint } from "../lib/support/checkpoints";
import { findTask, TASKS } from "../lib/support/tasks";

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--list") || argv.length === 0) {
    console.log(TASKS.length === 0 ? "No training tasks yet." : TASKS.map((t) => `${t.name.padEnd(12)} ${t.description}`).join("\n"));
    return argv.length === 0 ? 2 : 0;
  }
  const names = argv.filter((a) => !a.startsWith("--") && !/^\d+$/.test(a));
  const seedAt = argv.indexOf("--seed");
  const check = argv.includes("--check");
  await setupBackend(undefined, { quiet: true });
  let failed = 0;
  for (const name of names) {
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

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
