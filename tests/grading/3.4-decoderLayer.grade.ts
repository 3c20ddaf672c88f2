// Graded tests of exercise 3.4 (decoderLayer); run them with `npm run grade -- 3.4`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("3.4");
