// Graded tests of exercise 1.2 (scaledDotProductAttention); run them with `npm run grade -- 1.2`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("1.2");
