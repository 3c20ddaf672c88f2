// Graded tests of exercise 2.2 (mergeHeads); run them with `npm run grade -- 2.2`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("2.2");
