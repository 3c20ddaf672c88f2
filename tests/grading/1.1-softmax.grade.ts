// Graded tests of exercise 1.1 (softmax); run them with `npm run grade -- 1.1`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("1.1");
