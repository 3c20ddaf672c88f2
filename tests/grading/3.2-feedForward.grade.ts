// Graded tests of exercise 3.2 (feedForward); run them with `npm run grade -- 3.2`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("3.2");
