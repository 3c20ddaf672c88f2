/**
 * The course's exercise list: one row per function a student writes in lib/.
 * Stubs, the grader, the notebooks' check cells and the drift test all read this table.
 */
export interface ExerciseInfo {
  /** "1.2": notebook number, then exercise number. */
  readonly id: string;
  /** The exported function the student implements. */
  readonly fn: string;
  readonly title: string;
  /** Module name under lib/ and solutions/ (without .ts). */
  readonly module: string;
  readonly notebook: string;
  /** Total points of the exercise; its graded tests' points add up to this. */
  readonly points: number;
  /**
   * The exercises whose functions this one may call (your own building blocks, e.g. 2.3 calls
   * your 1.2 scaledDotProductAttention). The grader uses it to find the real cause when this
   * exercise fails: it re-runs the failing test with each building block swapped for the
   * reference, one at a time ("fix 1.2 first").
   */
  readonly uses?: readonly string[];
}

export const EXERCISES: readonly ExerciseInfo[] = [
  { id: "0.1", fn: "dotProductScores", title: "Batched dot-product scores", module: "tensors", notebook: "notebooks/00-setup-and-tensors.ipynb", points: 10 },
  { id: "1.1", fn: "softmax", title: "Numerically stable softmax", module: "attention", notebook: "notebooks/01-attention.ipynb", points: 20 },
  { id: "1.2", fn: "scaledDotProductAttention", title: "Scaled dot-product attention", module: "attention", notebook: "notebooks/01-attention.ipynb", points: 40, uses: ["0.1", "1.1"] },
  { id: "1.3", fn: "causalMask", title: "Causal mask", module: "attention", notebook: "notebooks/01-attention.ipynb", points: 10 },
  { id: "1.4", fn: "paddingMask", title: "Padding mask", module: "attention", notebook: "notebooks/01-attention.ipynb", points: 10 },
  { id: "2.1", fn: "splitHeads", title: "Split into heads", module: "multihead", notebook: "notebooks/02-multi-head-attention.ipynb", points: 7 },
  { id: "2.2", fn: "mergeHeads", title: "Merge heads", module: "multihead", notebook: "notebooks/02-multi-head-attention.ipynb", points: 7 },
  { id: "2.3", fn: "multiHeadAttention", title: "Multi-head attention", module: "multihead", notebook: "notebooks/02-multi-head-attention.ipynb", points: 30, uses: ["1.2", "2.1", "2.2"] },
  { id: "2.4", fn: "sinusoidalPositionalEncoding", title: "Sinusoidal positional encoding", module: "multihead", notebook: "notebooks/02-multi-head-attention.ipynb", points: 10 },
  { id: "3.1", fn: "layerNorm", title: "Layer normalisation", module: "blocks", notebook: "notebooks/03-encoder-decoder.ipynb", points: 10 },
  { id: "3.2", fn: "feedForward", title: "Position-wise feed-forward network", module: "blocks", notebook: "notebooks/03-encoder-decoder.ipynb", points: 10 },
  { id: "3.3", fn: "encoderLayer", title: "Encoder layer", module: "blocks", notebook: "notebooks/03-encoder-decoder.ipynb", points: 20, uses: ["2.3", "3.1", "3.2"] },
  { id: "3.4", fn: "decoderLayer", title: "Decoder layer", module: "blocks", notebook: "notebooks/03-encoder-decoder.ipynb", points: 25, uses: ["2.3", "3.1", "3.2"] },
  { id: "4.1", fn: "mlmMask", title: "Masking for masked language modelling (80/10/10)", module: "bert", notebook: "notebooks/04-bert-spam.ipynb", points: 25 },
  { id: "4.2", fn: "clsPool", title: "[CLS] pooling", module: "bert", notebook: "notebooks/04-bert-spam.ipynb", points: 6 },
  { id: "4.3", fn: "classifierHead", title: "Classification head", module: "bert", notebook: "notebooks/04-bert-spam.ipynb", points: 10 },
  { id: "4.4", fn: "encoderForward", title: "Encoder stack (embeddings, your encoder layers, final norm)", module: "bert", notebook: "notebooks/04-bert-spam.ipynb", points: 20, uses: ["3.1", "3.3"] },
  { id: "5.1", fn: "nextTokenLoss", title: "Next-token loss with padding ignored", module: "gpt", notebook: "notebooks/05-gpt.ipynb", points: 15 },
  { id: "5.2", fn: "sampleNext", title: "Sampling with temperature and top-k", module: "gpt", notebook: "notebooks/05-gpt.ipynb", points: 20 },
  { id: "5.3", fn: "decodeStepWithCache", title: "One decoding step with a key/value cache", module: "gpt", notebook: "notebooks/05-gpt.ipynb", points: 30, uses: ["1.2", "2.1", "2.2", "3.1", "3.2"] },
  { id: "5.4", fn: "gptForward", title: "GPT forward pass from your blocks", module: "gpt", notebook: "notebooks/05-gpt.ipynb", points: 15, uses: ["1.3", "3.1", "3.3"] },
  { id: "6.1", fn: "greedyDecode", title: "Greedy decoding", module: "decoding", notebook: "notebooks/06-encoder-decoder-g2p.ipynb", points: 15 },
  { id: "6.2", fn: "beamSearch", title: "Beam search with length normalisation", module: "decoding", notebook: "notebooks/06-encoder-decoder-g2p.ipynb", points: 30 },
  { id: "6.3", fn: "editDistance", title: "Edit distance", module: "decoding", notebook: "notebooks/06-encoder-decoder-g2p.ipynb", points: 10 },
  { id: "6.4", fn: "phonemeErrorRate", title: "Phoneme error rate", module: "decoding", notebook: "notebooks/06-encoder-decoder-g2p.ipynb", points: 10, uses: ["6.3"] },
  { id: "7.1", fn: "extractPatches", title: "Cut images into patches", module: "vit", notebook: "notebooks/07-vision-transformer.ipynb", points: 15 },
  { id: "7.2", fn: "patchEmbed", title: "Patch embedding", module: "vit", notebook: "notebooks/07-vision-transformer.ipynb", points: 10 },
  { id: "7.3", fn: "prependClsAndPositions", title: "[CLS] token and position embeddings", module: "vit", notebook: "notebooks/07-vision-transformer.ipynb", points: 10 },
  { id: "7.4", fn: "vitForward", title: "Vision Transformer forward pass", module: "vit", notebook: "notebooks/07-vision-transformer.ipynb", points: 20, uses: ["3.1", "3.3", "7.1", "7.2", "7.3"] },
  { id: "8.1", fn: "tiledAttention", title: "Tiled attention with an online softmax (FlashAttention)", module: "efficient", notebook: "notebooks/08-efficient-attention.ipynb", points: 25 },
  { id: "8.2", fn: "linformerAttention", title: "Linformer attention", module: "efficient", notebook: "notebooks/08-efficient-attention.ipynb", points: 10, uses: ["1.2"] },
  { id: "8.3", fn: "performerAttention", title: "Performer attention (FAVOR+)", module: "efficient", notebook: "notebooks/08-efficient-attention.ipynb", points: 20 },
  { id: "8.4", fn: "slidingWindowAttention", title: "Sliding-window attention with global tokens (Longformer)", module: "efficient", notebook: "notebooks/08-efficient-attention.ipynb", points: 20, uses: ["1.2"] },
];

/**
 * Exercises whose stubs (lib/) and references (solutions/) exist but whose grader checks and
 * notebook are still being written. They are not graded yet (`npm run grade` and the check
 * cells know only EXERCISES); each row moves into EXERCISES together with its checks. Their
 * stubs' errors already name the notebook and the file, like every other stub's.
 */
export const UPCOMING_EXERCISES: readonly ExerciseInfo[] = [
];

/** Modules that hold exercises (lib/<module>.ts and solutions/<module>.ts). */
export const EXERCISE_MODULES: readonly string[] = [...new Set(EXERCISES.map((e) => e.module))];

export function findExercise(id: string): ExerciseInfo {
  const ex = EXERCISES.find((e) => e.id === id || e.fn === id);
  if (!ex) {
    throw new Error(`Unknown exercise "${id}". Known: ${EXERCISES.map((e) => `${e.id} (${e.fn})`).join(", ")}`);
  }
  return ex;
}

/**
 * Every exercise `id` builds on, directly or through its building blocks, each once, building
 * blocks before the exercises that use them (for 3.3: 0.1, 1.1, 1.2, 2.1, 2.2, 2.3, 3.1, 3.2).
 */
export function closureOf(id: string): string[] {
  const out: string[] = [];
  const visit = (e: string, path: readonly string[]) => {
    for (const dep of findExercise(e).uses ?? []) {
      if (path.includes(dep)) throw new Error(`Exercise ${dep} uses itself (through ${path.join(" -> ")})`);
      visit(dep, [...path, dep]);
      if (!out.includes(dep)) out.push(dep);
    }
  };
  visit(findExercise(id).id, [findExercise(id).id]);
  return out;
}

/** Thrown by every stub in lib/: it names the notebook, the exercise and the file to edit. */
export class NotImplementedYet extends Error {
  readonly exercise: ExerciseInfo;
  constructor(ex: ExerciseInfo) {
    super(`Exercise ${ex.id} (${ex.notebook}): implement ${ex.fn} in lib/${ex.module}.ts`);
    this.name = "NotImplementedYet";
    this.exercise = ex;
  }
}

/** The body of every stub: `return todo("1.2");` */
export function todo(id: string): never {
  throw new NotImplementedYet(UPCOMING_EXERCISES.find((e) => e.id === id) ?? findExercise(id));
}
