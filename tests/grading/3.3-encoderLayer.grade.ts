// Graded tests of exercise 3.3 (encoderLayer); run them with `npm run grade -- 3.3`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("3.3");
