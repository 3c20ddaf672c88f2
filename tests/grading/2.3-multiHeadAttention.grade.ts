// Graded tests of exercise 2.3 (multiHeadAttention); run them with `npm run grade -- 2.3`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("2.3");
