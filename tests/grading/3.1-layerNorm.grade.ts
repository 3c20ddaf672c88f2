// Graded tests of exercise 3.1 (layerNorm); run them with `npm run grade -- 3.1`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("3.1");
