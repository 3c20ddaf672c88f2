// Graded tests of exercise 2.4 (sinusoidalPositionalEncoding); run them with `npm run grade -- 2.4`.
import { defineGradedSuite } from "../../grader/suite";

defineGradedSuite("2.4");
