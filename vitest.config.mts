import { defineConfig } from "vitest/config";

// The project's own tests (`npm test`). Grading runs use grader/vitest.grade.config.ts.
export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts"],
    pool: "forks",
    // Two files at a time. vitest's default on 2 cores is ONE worker (cores - 1), and the longest
    // files (notebooks, classic UI, kernel, grader CLI/sandbox) spend most of their time waiting
    // for child processes (Jupyter kernels, sandboxed graders): one worker left a core idle.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON summary lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: "out/test-results.json" },
  },
});
