/**
 * Shared shapes of the grader's data: graded checks, misconception variants and outcomes.
 *
 * Checks and misconceptions are plain data (arrays of objects) so that the vitest grading files,
 * the CLI (which needs the list of expected tests to spot the ones that never reported) and the
 * self-tests in tests/unit/ all read the same table.
 */

/** The reference modules' types double as the contract every submission must meet. */
export type TensorsModule = typeof import("../solutions/tensors");
export type AttentionModule = typeof import("../solutions/attention");
export type MultiheadModule = typeof import("../solutions/multihead");
export type BlocksModule = typeof import("../solutions/blocks");

/**
 * What a check may know besides the module under test: the submission's other exercise modules
 * (by module name, e.g. "multihead"), already behind the watchdog. Blocks exercises use it to
 * tell a student that their multiHeadAttention (2.3), which their layers build on, is wrong.
 * Empty when grading in process without them.
 */
export interface CheckContext {
  readonly deps: Readonly<Record<string, unknown>>;
}

/**
 * One graded check of one exercise.
 *
 * `run` receives the module under test (`impl`, already wrapped by the watchdog when graded) and
 * the reference module (`ref`), and throws a CheckFailure whose message is the one-line feedback
 * shown to the student. It is declared as a method (not a property) on purpose: method parameters
 * are bivariant, so a Check<AttentionModule> can sit in a list of Check<unknown>.
 */
export interface Check<M = unknown> {
  /** Exercise id from EXERCISES, e.g. "1.2". */
  readonly exercise: string;
  /** Unique within the exercise; shown in the report. */
  readonly name: string;
  readonly points: number;
  run(impl: M, ref: M, ctx?: CheckContext): void | Promise<void>;
}

/** Any function: variants replace one exported function of a module, whatever its signature. */
export type AnyFn = (...args: any[]) => any;

/**
 * A wrong implementation that mimics a common student mistake. When a value check fails and the
 * student's result equals a variant's result on the same inputs, the feedback names the mistake:
 * `your output equals ${looksLike}: ${fix}`.
 */
export interface Misconception<F extends AnyFn = AnyFn> {
  readonly exercise: string;
  /** Short stable slug, e.g. "no-scale". */
  readonly id: string;
  /** Completes "your output equals …". */
  readonly looksLike: string;
  /** What to change. */
  readonly fix: string;
  readonly fn: F;
  /**
   * Optional, for a mistake that makes the student's code throw: whether the student's error
   * message shows this mistake, when the variant threw too but with a different wording (the
   * student's own helper from an earlier exercise reports the same problem in its own words).
   * `variantMessage` is what the variant threw on the same inputs.
   */
  readonly errorLike?: (studentMessage: string, variantMessage: string) => boolean;
}

/** A correct alternative implementation: the checks must give it full marks (guards against over-strict checks). */
export interface Alternative<F extends AnyFn = AnyFn> {
  readonly exercise: string;
  readonly id: string;
  readonly description: string;
  readonly fn: F;
}

/**
 * Why a check did not pass. "not-implemented", "missing", "forbidden" and "load-error" describe the
 * whole file, so the report prints their message once per exercise instead of on every test.
 */
export type FailureKind =
  | "fail"
  | "timeout"
  | "not-implemented"
  | "missing"
  | "forbidden"
  | "load-error"
  | "crashed"
  | "grader-error";

export interface CheckOutcome {
  readonly passed: boolean;
  readonly kind?: FailureKind;
  /** One line, student-facing. */
  readonly feedback?: string;
}

/** One graded test as reported by a grading worker (one JSON line each). */
export interface ResultLine {
  readonly src: "worker";
  readonly exercise: string;
  readonly name: string;
  readonly passed: boolean;
  readonly kind?: FailureKind;
  readonly feedback?: string;
}

/** What the vitest reporter saw for a test (a fallback for tests whose worker never wrote a line). */
export interface ReporterLine {
  readonly src: "reporter";
  /** vitest test name: `${exercise} ${check name}`. */
  readonly test: string;
  readonly state: string;
  readonly message?: string;
}
