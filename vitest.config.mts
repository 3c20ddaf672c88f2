import { defineConfig } from "vitest/config";

// The project's own tests (`npm test`). Grading runs use grader/vitest.grade.config.ts.
export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON summary lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: "out/test-results.json" },
  },
});
