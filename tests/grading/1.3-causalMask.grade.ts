// Graded tests of exercise 1.3 (causalMask); run them with `npm run grade -- 1.3`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("1.3");
