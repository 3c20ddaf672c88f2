/** Types of grader/register.js (the TypeScript require hook and the compile cache). */
import type * as TS from "typescript";

/** A string computed from `parts`, cached on disk under out/grading/.cache/<kind>/. */
export function cached(kind: string, parts: readonly (string | number)[], compute: () => string): string;
/** A kit .ts file compiled to CommonJS (cached by content). */
export function compileCached(source: string, fileName: string): string;
/** The TypeScript compiler, loaded on first use. */
export function typescript(): typeof TS;
export function register(): void;
export const OPTIONS: TS.CompilerOptions;
