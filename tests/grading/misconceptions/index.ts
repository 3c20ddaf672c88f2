/**
 * All misconception variants and correct alternatives, by exercise id.
 */
import type { Alternative, Misconception } from "../../grader/types";
import {
  ATTENTION_ALTERNATIVES,
  ATTENTION_MISCONCEPTIONS,
  CAUSAL_MASK_ALTERNATIVES,
  CAUSAL_MASK_MISCONCEPTIONS,
  PADDING_MASK_ALTERNATIVES,
  PADDING_MASK_MISCONCEPTIONS,
  SOFTMAX_ALTERNATIVES,
  SOFTMAX_MISCONCEPTIONS,
} from "./attention";
import { DOT_PRODUCT_SCORES_ALTERNATIVES, DOT_PRODUCT_SCORES_MISCONCEPTIONS } from "./tensors";

export const MISCONCEPTIONS: Readonly<Record<string, readonly Misconception[]>> = {
  "0.1": DOT_PRODUCT_SCORES_MISCONCEPTIONS,
  "1.1": SOFTMAX_MISCONCEPTIONS,
  "1.2": ATTENTION_MISCONCEPTIONS,
  "1.3": CAUSAL_MASK_MISCONCEPTIONS,
  "1.4": PADDING_MASK_MISCONCEPTIONS,
};

export const ALTERNATIVES: Readonly<Record<string, readonly Alternative[]>> = {
  "0.1": DOT_PRODUCT_SCORES_ALTERNATIVES,
  "1.1": SOFTMAX_ALTERNATIVES,
  "1.2": ATTENTION_ALTERNATIVES,
  "1.3": CAUSAL_MASK_ALTERNATIVES,
  "1.4": PADDING_MASK_ALTERNATIVES,
};

/** The variants of one exercise, in the order diagnose() tries them (first match wins). */
export function misconceptionsFor(exercise: string): readonly Misconception[] {
  return MISCONCEPTIONS[exercise] ?? [];
}
