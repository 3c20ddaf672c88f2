/**
 * A vitest reporter that appends one JSON line per finished test to a file.
 *
 * It runs in vitest's main process and only backs up the workers' own lines (worker.jsonl):
 * it sees tests that vitest itself failed (its timeout, a failed beforeAll) but not tests whose
 * worker died before vitest flushed their results.
 */
import * as fs from "fs";
import type { Reporter, TestCase, TestModule } from "vitest/node";
import type { ReporterLine } from "./types";

export default class JsonlReporter implements Reporter {
  constructor(private readonly file: string) {}

  private write(line: object): void {
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    const line: ReporterLine = { src: "reporter", test: testCase.name, state: result.state, message: result.errors?.[0]?.message };
    this.write(line);
  }

  onTestModuleEnd(testModule: TestModule): void {
    const errors = testModule.errors();
    if (errors.length > 0) this.write({ src: "module", file: testModule.moduleId, errors: errors.map((e) => e.message) });
  }
}
