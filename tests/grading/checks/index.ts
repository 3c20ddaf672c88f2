/**
 * The graded checks of every exercise, by exercise id. Their points add up to the exercise's
 * points in EXERCISES (tests/unit/grader-checks.test.ts keeps it that way).
 */
import { findExercise } from "../../../lib/support/exercises";
import type { Check } from "../../../grader/types";
import { CLASSIFIER_HEAD_CHECKS, CLS_POOL_CHECKS, ENCODER_FORWARD_CHECKS, MLM_MASK_CHECKS } from "./bert";
import { ATTENTION_CHECKS, CAUSAL_MASK_CHECKS, PADDING_MASK_CHECKS, SOFTMAX_CHECKS } from "./attention";
import { BEAM_CHECKS, EDIT_CHECKS, GREEDY_CHECKS, PER_CHECKS } from "./decoding";
import { DECODER_CHECKS, ENCODER_CHECKS, FFN_CHECKS, LAYER_NORM_CHECKS } from "./blocks";
import { DECODE_STEP_CHECKS, GPT_FORWARD_CHECKS, NEXT_TOKEN_LOSS_CHECKS, SAMPLE_NEXT_CHECKS } from "./gpt";
import { MERGE_HEADS_CHECKS, MHA_CHECKS, PE_CHECKS, SPLIT_HEADS_CHECKS } from "./multihead";
import { DOT_PRODUCT_SCORES_CHECKS } from "./tensors";
import { CLS_POSITIONS_CHECKS, EXTRACT_PATCHES_CHECKS, PATCH_EMBED_CHECKS, VIT_FORWARD_CHECKS } from "./vit";
import { LINFORMER_CHECKS, PERFORMER_CHECKS, SLIDING_WINDOW_CHECKS, TILED_CHECKS } from "./efficient";

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
  "4.1": MLM_MASK_CHECKS as readonly Check[],
  "4.2": CLS_POOL_CHECKS as readonly Check[],
  "4.3": CLASSIFIER_HEAD_CHECKS as readonly Check[],
  "4.4": ENCODER_FORWARD_CHECKS as readonly Check[],
  "5.1": NEXT_TOKEN_LOSS_CHECKS as readonly Check[],
  "5.2": SAMPLE_NEXT_CHECKS as readonly Check[],
  "5.3": DECODE_STEP_CHECKS as readonly Check[],
  "5.4": GPT_FORWARD_CHECKS as readonly Check[],
  "6.1": GREEDY_CHECKS as readonly Check[],
  "6.2": BEAM_CHECKS as readonly Check[],
  "6.3": EDIT_CHECKS as readonly Check[],
  "6.4": PER_CHECKS as readonly Check[],
  "7.1": EXTRACT_PATCHES_CHECKS as readonly Check[],
  "7.2": PATCH_EMBED_CHECKS as readonly Check[],
  "7.3": CLS_POSITIONS_CHECKS as readonly Check[],
  "7.4": VIT_FORWARD_CHECKS as readonly Check[],
  "8.1": TILED_CHECKS as readonly Check[],
  "8.2": LINFORMER_CHECKS as readonly Check[],
  "8.3": PERFORMER_CHECKS as readonly Check[],
  "8.4": SLIDING_WINDOW_CHECKS as readonly Check[],
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
