/**
 * Shared shapes of the grader's data: graded checks, misconception variants and outcomes.
 *
 * Checks and misconceptions are plain data (arrays of objects) so that the grading workers, the
 * CLI (which needs the list of expected tests to spot the ones that never reported) and the
 * self-tests in tests/unit/ all read the same table.
 */

/** The reference modules' types double as the contract every submission must meet. */
export type TensorsModule = typeof import("../solutions/tensors");
export type AttentionModule = typeof import("../solutions/attention");
export type MultiheadModule = typeof import("../solutions/multihead");
export type BlocksModule = typeof import("../solutions/blocks");
export type GptModule = typeof import("../solutions/gpt");
export type VitModule = typeof import("../solutions/vit");
export type BertModule = typeof import("../solutions/bert");
export type DecodingModule = typeof import("../solutions/decoding");
export type EfficientModule = typeof import("../solutions/efficient");

/**
 * What a check is about. Cause finding only blames a building block that fails a check of the
 * same category in its own exercise (a leak is blamed on a block that leaks, not on one whose
 * values are wrong).
 */
export type CheckCategory = "values" | "leaks" | "fresh" | "intact" | "errors";

/** How one check's calls and inputs look to the diagnosis (see Check.sample). */
export interface Sample<M = unknown, A = unknown> {
  inputs: () => A;
  call: (m: M, args: A) => unknown;
}

/**
 * What a check may use besides the module under test, set up by runCheck.
 *
 * `quick`: only pass/fail matters (cause finding re-runs a check many times): skip the diagnosis.
 * `diagnosis`: per-exercise state shared by the checks of one grading run (see diagnose.ts).
 */
export interface CheckContext {
  readonly quick?: boolean;
  readonly diagnosis?: import("./diagnose").DiagnosisContext;
}

/**
 * One graded check of one exercise.
 *
 * `run` receives the module under test (`impl`, already wrapped by the watchdog when graded) and
 * the reference module (`ref`), and throws a CheckFailure whose problem is the feedback shown to
 * the student. It is declared as a method (not a property) on purpose: method parameters are
 * bivariant, so a Check<AttentionModule> can sit in a list of Check<unknown>.
 */
export interface Check<M = unknown> {
  /** Exercise id from EXERCISES, e.g. "1.2". */
  readonly exercise: string;
  /** Unique within the exercise; shown in the report. */
  readonly name: string;
  readonly points: number;
  readonly category: CheckCategory;
  /** Set by contractChecks(): every exercise has these (tests/unit/grader-checks.test.ts). */
  readonly contract?: "leaks" | "fresh" | "intact";
  /** false: run outside any tfjs scope of the grader's own (leak checks count tensors themselves). */
  readonly scoped?: boolean;
  /** Value checks expose their inputs and call so the diagnosis can replay them (misconception fingerprints). */
  readonly sample?: Sample<M>;
  run(impl: M, ref: M, ctx?: CheckContext): void | Promise<void>;
}

/** Any function: variants replace one exported function of a module, whatever its signature. */
export type AnyFn = (...args: any[]) => any;

/**
 * A wrong implementation that mimics a common student mistake. When a value check fails and the
 * student's code behaves exactly like a variant on every value check of the exercise (same
 * results, or the same errors), the feedback names the mistake: `your softmax behaves exactly like ${looksLike}: ${fix}`.
 */
export interface Misconception<F extends AnyFn = AnyFn> {
  readonly exercise: string;
  /** Short stable slug, e.g. "no-scale". */
  readonly id: string;
  /** Completes "your softmax behaves exactly like …". */
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
  /** The whole one-line feedback: `problem (detail)`. */
  readonly feedback?: string;
  /** What is wrong, without the numbers of this one test: the report merges tests that share it. */
  readonly problem?: string;
  /** This test's own evidence ("max abs difference 0.31 at [1,2,0]: expected 0.52, got 0.21"). */
  readonly detail?: string;
  /** For a passed test: why it was credited although the student's result differs (see cause.ts). */
  readonly note?: string;
}

/** One graded test as reported by a grading worker (one JSON line each). */
export interface ResultLine extends CheckOutcome {
  readonly src: "worker";
  readonly exercise: string;
  readonly name: string;
}
