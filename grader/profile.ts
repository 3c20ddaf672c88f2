/**
 * Where a grading run's time goes (`npm run grade -- --profile`, printed on stderr; the
 * benchmarks print it too): the CLI's own start, staging, the type check, the grading workers'
 * start, the sandboxes' start and the checks themselves, in wall and CPU time. Informative only:
 * no mark depends on any of it.
 */
import * as fs from "fs";
import type { PoolRun } from "./pool";

/** CPU seconds the calling thread has used (Linux: /proc/thread-self), or undefined. */
export function threadCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/thread-self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** This process's CPU seconds (every thread). */
export function processCpu(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

export interface RunProfile {
  /** From the CLI process's start to its first line of grading code (Node, the grader's modules). */
  cliStartMs: number;
  stageMs: number;
  typeCheck?: { wallMs: number; cpuSeconds?: number; cached: boolean };
  /** From the first worker's spawn to the last job's end. */
  poolMs: number;
  pool?: PoolRun["profile"];
  /** The CLI process's CPU seconds in all (the type-check thread included). */
  cliCpu: number;
  totalMs: number;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const c = (sec: number | undefined) => (sec === undefined ? "?" : `${sec.toFixed(1)} s`);
const sum = (xs: readonly (number | undefined)[]) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

/** The breakdown as a few lines of text. */
export function formatProfile(p: RunProfile): string {
  const jobs = p.pool?.jobs ?? [];
  const workers = p.pool?.workers ?? [];
  const sandboxed = jobs.some((j) => j.sandboxStarts !== undefined);
  const starts = sum(jobs.map((j) => j.sandboxStarts));
  const startCpu = sum(jobs.map((j) => j.sandboxStartCpu));
  const sandboxCpu = sum(jobs.map((j) => j.sandboxCpu));
  const judgeCpu = sum(jobs.map((j) => j.judgeCpu));
  const workerStartCpu = sum(workers.map((w) => w.cpuSeconds));
  const total = p.cliCpu + workerStartCpu + judgeCpu + sandboxCpu;
  const lines = [
    `profile (wall / CPU):`,
    `  grader start (node, modules)    ${s(p.cliStartMs)}`,
    `  staging (compile, copy)         ${s(p.stageMs)}`,
    p.typeCheck
      ? `  type check (thread, parallel)   ${s(p.typeCheck.wallMs)} / ${c(p.typeCheck.cpuSeconds)}${p.typeCheck.cached ? " (cached)" : ""}`
      : `  type check                      skipped`,
    `  grading workers                 ${workers.length} started, ${s(sum(workers.map((w) => w.wallMs)) / Math.max(1, workers.length))} each / ${c(workerStartCpu)} in all`,
    `  grading (${jobs.length} exercises)          ${s(p.poolMs)} / judge ${c(judgeCpu)}${sandboxed ? `, sandbox ${c(sandboxCpu)}` : ""}`,
  ];
  if (sandboxed) {
    const reused = jobs.filter((j) => j.reused).length;
    lines.push(
      `    sandbox start-ups             ${starts} (${reused} of ${jobs.length} exercises in a reused process), ${s(sum(jobs.map((j) => j.sandboxStartMs)))} / ${c(startCpu)}`,
      `    calls into student code       ${sum(jobs.map((j) => j.calls))}, sandbox CPU besides start-up ${c(sandboxCpu - startCpu)}`,
    );
  }
  const slowest = [...jobs].sort((a, b) => b.wallMs - a.wallMs).slice(0, 3);
  if (slowest.length > 0) lines.push(`    slowest exercises             ${slowest.map((j) => `${j.exercise} ${s(j.wallMs)}`).join(", ")}`);
  lines.push(`  CLI process CPU (incl. type check)  ${c(p.cliCpu)}`, `  total                           ${s(p.totalMs)} / ${c(total)} CPU`);
  return `${lines.join("\n")}\n`;
}
