/** A progress line for `npm test` (long tests say what they are doing; vitest shows stderr live). */
const started = Date.now();

export function progress(message: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  process.stderr.write(`[npm test ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}] ${message}\n`);
}
