/**
 * Fixed locations and the environment contract between the CLI and the grading workers.
 */
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..");
export const SOLUTIONS_DIR = path.join(ROOT, "solutions");
export const LIB_DIR = path.join(ROOT, "lib");
export const GRADING_DIR = path.join(ROOT, "tests", "grading");
export const GRADE_CONFIG = path.join(ROOT, "grader", "vitest.grade.config.ts");
/** Staging area for submissions (out/ is git-ignored). */
export const STAGE_ROOT = path.join(ROOT, "out", "grading");

/** The vitest file grading one exercise: tests/grading/<id>-<fn>.grade.ts. */
export function gradingFile(ex: { id: string; fn: string }): string {
  return path.join(GRADING_DIR, `${ex.id}-${ex.fn}.grade.ts`);
}

/** True when `file` is `dir` or inside it. */
export function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Settings the CLI passes to the grading child through the environment. */
export interface GradeEnv {
  /** Exercise ids to grade. */
  ids: string[];
  /** Folder holding <module>.ts for each exercise module (a staged copy, or solutions/). */
  implDir: string;
  /** Files under this folder may not import solutions/ (empty when grading the reference). */
  guardDir?: string;
  /** Where workers and the reporter append their JSON lines. */
  outDir: string;
  timeoutMs: number;
  /** Folder of *.checks.ts files with extra checks. */
  extraDir?: string;
}

/** Environment variable names, one per GradeEnv field. */
export const ENV_KEYS = {
  ids: "LAB_GRADE_IDS",
  implDir: "LAB_GRADE_IMPL_DIR",
  guardDir: "LAB_GRADE_GUARD_DIR",
  outDir: "LAB_GRADE_OUT_DIR",
  timeoutMs: "LAB_GRADE_TIMEOUT_MS",
  extraDir: "LAB_GRADE_EXTRA_DIR",
} as const;

/** The environment variables that carry `env` to the grading child (see readGradeEnv). */
export function gradeEnvToProcessEnv(env: GradeEnv): Record<string, string> {
  return {
    [ENV_KEYS.ids]: env.ids.join(","),
    [ENV_KEYS.implDir]: env.implDir,
    [ENV_KEYS.guardDir]: env.guardDir ?? "",
    [ENV_KEYS.outDir]: env.outDir,
    [ENV_KEYS.timeoutMs]: String(env.timeoutMs),
    [ENV_KEYS.extraDir]: env.extraDir ?? "",
  };
}

/** The grading settings of this process, or an error saying the grade config must be used via the CLI. */
export function readGradeEnv(source: NodeJS.ProcessEnv = process.env): GradeEnv {
  const implDir = source[ENV_KEYS.implDir];
  const outDir = source[ENV_KEYS.outDir];
  if (!implDir || !outDir) {
    throw new Error("The graded tests in tests/grading/ run only through the grader: npm run grade -- [IDS] [--impl lib|solutions|DIR]");
  }
  const timeoutMs = Number(source[ENV_KEYS.timeoutMs] ?? "10000");
  return {
    ids: (source[ENV_KEYS.ids] ?? "").split(",").filter((s) => s !== ""),
    implDir,
    guardDir: source[ENV_KEYS.guardDir] || undefined,
    outDir,
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 10000,
    extraDir: source[ENV_KEYS.extraDir] || undefined,
  };
}
