/**
 * Graded checks for lib/tensors.ts: exercise 0.1 dotProductScores (10 points).
 */
import * as tf from "@tensorflow/tfjs";
import type { Check, TensorsModule } from "../../../grader/types";
import { badInputCheck, contractChecks, randn, shapeDtypeCheck, valueCheck } from "../../../grader/builders";

type QK = { q: tf.Tensor; k: tf.Tensor };
const call = (m: TensorsModule, a: QK): unknown => m.dotProductScores(a.q, a.k);
const qk = (qShape: number[], kShape: number[], seed: number) => (): QK => ({ q: randn(qShape, seed), k: randn(kShape, seed + 1) });

export const DOT_PRODUCT_SCORES_CHECKS: readonly Check<TensorsModule>[] = [
  valueCheck({ exercise: "0.1", name: "values, no batch dims: q [5,8], k [6,8]", points: 2, inputs: qk([5, 8], [6, 8], 101), call }),
  valueCheck({ exercise: "0.1", name: "values, one batch dim: q [2,5,8], k [2,6,8]", points: 1, inputs: qk([2, 5, 8], [2, 6, 8], 111), call }),
  valueCheck({ exercise: "0.1", name: "values, two batch dims: q [2,3,4,6], k [2,3,5,6]", points: 1, inputs: qk([2, 3, 4, 6], [2, 3, 5, 6], 121), call }),
  // Tq = Tk = d: every wrong transpose still has a valid shape here, so only the values can tell.
  valueCheck({ exercise: "0.1", name: "values, square: q [3,4,4], k [3,4,4]", points: 1, inputs: qk([3, 4, 4], [3, 4, 4], 131), call }),
  shapeDtypeCheck({ exercise: "0.1", name: "output shape [..., Tq, Tk] and dtype float32", points: 1, inputs: qk([2, 5, 8], [2, 6, 8], 141), call }),
  ...contractChecks<TensorsModule, QK>({
    exercise: "0.1",
    call,
    forms: [
      { label: "q [5,8], k [6,8]", inputs: qk([5, 8], [6, 8], 151) },
      { label: "q [2,5,8], k [2,6,8]", inputs: qk([2, 5, 8], [2, 6, 8], 153) },
      { label: "q [2,3,4,6], k [2,3,5,6]", inputs: qk([2, 3, 4, 6], [2, 3, 5, 6], 155) },
    ],
    points: { leaks: 1, fresh: 1, intact: 1 },
  }),
  badInputCheck<TensorsModule>({
    exercise: "0.1",
    name: "bad input raises an error naming dotProductScores and the shapes",
    points: 1,
    cases: [
      {
        describe: "q [2,5,8], k [2,6,4]",
        call: (m) => m.dotProductScores(randn([2, 5, 8], 171), randn([2, 6, 4], 172)),
        mention: ["2,5,8", "2,6,4"],
        mentionText: "both shapes [2,5,8] and [2,6,4]",
      },
      {
        describe: "q = a plain array",
        call: (m) => m.dotProductScores([[1, 2], [3, 4]] as unknown as tf.Tensor, randn([2, 2], 173)),
        mention: [/tensor/i],
        mentionText: "the fact that q must be a tf.Tensor",
      },
    ],
  }),
];
