/**
 * All misconception variants, by exercise id (the correct alternatives are planted files in tests/fairness/).
 */
import type { Misconception } from "../../../grader/types";
import {
  ATTENTION_MISCONCEPTIONS,
  CAUSAL_MASK_MISCONCEPTIONS,
  PADDING_MASK_MISCONCEPTIONS,
  SOFTMAX_MISCONCEPTIONS,
} from "./attention";
import { BEAM_MISCONCEPTIONS, EDIT_MISCONCEPTIONS, GREEDY_MISCONCEPTIONS, PER_MISCONCEPTIONS } from "./decoding";
import {
  DECODER_MISCONCEPTIONS,
  ENCODER_MISCONCEPTIONS,
  FFN_MISCONCEPTIONS,
  LAYER_NORM_MISCONCEPTIONS,
} from "./blocks";
import {
  MERGE_HEADS_MISCONCEPTIONS,
  MHA_MISCONCEPTIONS,
  PE_MISCONCEPTIONS,
  SPLIT_HEADS_MISCONCEPTIONS,
} from "./multihead";
import { DOT_PRODUCT_SCORES_MISCONCEPTIONS } from "./tensors";

export const MISCONCEPTIONS: Readonly<Record<string, readonly Misconception[]>> = {
  "0.1": DOT_PRODUCT_SCORES_MISCONCEPTIONS,
  "1.1": SOFTMAX_MISCONCEPTIONS,
  "1.2": ATTENTION_MISCONCEPTIONS,
  "1.3": CAUSAL_MASK_MISCONCEPTIONS,
  "1.4": PADDING_MASK_MISCONCEPTIONS,
  "2.1": SPLIT_HEADS_MISCONCEPTIONS,
  "2.2": MERGE_HEADS_MISCONCEPTIONS,
  "2.3": MHA_MISCONCEPTIONS,
  "2.4": PE_MISCONCEPTIONS,
  "3.1": LAYER_NORM_MISCONCEPTIONS,
  "3.2": FFN_MISCONCEPTIONS,
  "3.3": ENCODER_MISCONCEPTIONS,
  "3.4": DECODER_MISCONCEPTIONS,
  "6.1": GREEDY_MISCONCEPTIONS,
  "6.2": BEAM_MISCONCEPTIONS,
  "6.3": EDIT_MISCONCEPTIONS,
  "6.4": PER_MISCONCEPTIONS,
};

/** The variants of one exercise, in the order diagnose() tries them (first match wins). */
export function misconceptionsFor(exercise: string): readonly Misconception[] {
  return MISCONCEPTIONS[exercise] ?? [];
}
