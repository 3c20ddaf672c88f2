/**
 * A progress line for `npm test`: long tests say what they are doing (vitest shows stderr live).
 * The time is since the test file started (each file runs in its own process).
 */
import * as path from "path";
import { expect } from "vitest";

const started = Date.now();
const file = path.basename(process.argv[1] ?? "");

export function progress(message: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  const where = (expect.getState().testPath ?? file).replace(/.*[\\/]/, "").replace(/\.test\.ts$/, "");
  process.stderr.write(`[${where} +${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}] ${message}\n`);
}
