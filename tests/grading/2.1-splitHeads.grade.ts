// Graded tests of exercise 2.1 (splitHeads); run them with `npm run grade -- 2.1`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("2.1");
