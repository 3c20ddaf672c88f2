/**
 * The graded checks of every exercise, by exercise id. Their points add up to the exercise's
 * points in EXERCISES (tests/unit/grader-checks.test.ts keeps it that way).
 */
import { findExercise } from "../../../lib/support/exercises";
import type { Check } from "../../../grader/types";
import { ATTENTION_CHECKS, CAUSAL_MASK_CHECKS, PADDING_MASK_CHECKS, SOFTMAX_CHECKS } from "./attention";
import { BEAM_CHECKS, EDIT_CHECKS, GREEDY_CHECKS, PER_CHECKS } from "./decoding";
import { DECODER_CHECKS, ENCODER_CHECKS, FFN_CHECKS, LAYER_NORM_CHECKS } from "./blocks";
import { MERGE_HEADS_CHECKS, MHA_CHECKS, PE_CHECKS, SPLIT_HEADS_CHECKS } from "./multihead";
import { DOT_PRODUCT_SCORES_CHECKS } from "./tensors";

export const CHECKS: Readonly<Record<string, readonly Check[]>> = {
  "0.1": DOT_PRODUCT_SCORES_CHECKS as readonly Check[],
  "1.1": SOFTMAX_CHECKS as readonly Check[],
  "1.2": ATTENTION_CHECKS as readonly Check[],
  "1.3": CAUSAL_MASK_CHECKS as readonly Check[],
  "1.4": PADDING_MASK_CHECKS as readonly Check[],
  "2.1": SPLIT_HEADS_CHECKS as readonly Check[],
  "2.2": MERGE_HEADS_CHECKS as readonly Check[],
  "2.3": MHA_CHECKS as readonly Check[],
  "2.4": PE_CHECKS as readonly Check[],
  "3.1": LAYER_NORM_CHECKS as readonly Check[],
  "3.2": FFN_CHECKS as readonly Check[],
  "3.3": ENCODER_CHECKS as readonly Check[],
  "3.4": DECODER_CHECKS as readonly Check[],
  "6.1": GREEDY_CHECKS as readonly Check[],
  "6.2": BEAM_CHECKS as readonly Check[],
  "6.3": EDIT_CHECKS as readonly Check[],
  "6.4": PER_CHECKS as readonly Check[],
};

/** The checks of one exercise (by id or function name). */
export function checksFor(idOrFn: string): readonly Check[] {
  const ex = findExercise(idOrFn);
  const checks = CHECKS[ex.id];
  if (!checks) throw new Error(`No graded checks are defined for exercise ${ex.id} (${ex.fn}); add them to tests/grading/checks/`);
  return checks;
}

/** The vitest test name of a check; the CLI matches reported results to checks by it. */
export function testName(check: Pick<Check, "exercise" | "name">): string {
  return `${check.exercise} ${check.name}`;
}
