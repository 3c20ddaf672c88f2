// Graded tests of exercise 0.1 (dotProductScores); run them with `npm run grade -- 0.1`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("0.1");
