// Graded tests of exercise 1.4 (paddingMask); run them with `npm run grade -- 1.4`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("1.4");
