/**
 * The course's tokenizers: text <-> integer ids. One module, three kinds:
 *
 *   letterTokenizer()    the letters a-z, one id each        names (05), spellings in G2P (06)
 *   phonemeTokenizer()   the 39 ARPAbet phonemes, no stress  pronunciations in G2P (06)
 *   spamTokenizer()      byte-pair encoding of e-mail text, trained on the spam TRAINING split
 *                        only (datasets/spam/tokenizer.json)                       (04)
 *
 * Every tokenizer reserves the same special ids, so id 0 is always padding and so on:
 *
 *   0 [PAD]  1 [UNK]  2 [CLS]  3 [SEP]  4 [MASK]  5 [BOS]  6 [EOS]     (regular tokens from 7)
 *
 * A task uses the ones it needs ([CLS]/[SEP]/[MASK] for BERT, [BOS]/[EOS] for GPT and the
 * seq2seq decoder); the others are never produced. Anything a tokenizer cannot represent becomes
 * [UNK]: encoding never throws for a string and never yields an id outside the vocabulary.
 * encodeBatch() adds the specials, truncates to a context length (counting what it cut) and pads.
 */
import { LabInputError } from "./checks";
import { padBatch, readDatasetFile, type PaddedBatch } from "./datasets";

export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[BOS]", "[EOS]"] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;
export const MASK_ID = 4;
export const BOS_ID = 5;
export const EOS_ID = 6;
/** All reserved ids (0-6): never chosen as "a random token" by MLM, never counted as content. */
export const SPECIAL_IDS: readonly number[] = Object.freeze([PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, BOS_ID, EOS_ID]);

/** The 39 ARPAbet phonemes of CMUdict, stress marks removed. */
export const ARPABET: readonly string[] = Object.freeze(
  "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH".split(" "),
);

const PHONEMES = new Set(ARPABET);

export const LETTERS: readonly string[] = Object.freeze("abcdefghijklmnopqrstuvwxyz".split(""));

export interface DecodeOptions {
  /**
   * Render [PAD], [CLS], [SEP], [MASK], [BOS] and [EOS] by name instead of dropping them
   * (default false). [UNK] is always shown as "[UNK]": it stands for real content.
   */
  keepSpecials?: boolean;
}

export interface Tokenizer {
  /** Which tokenizer this is, for messages: "letters", "phonemes", "spam-bpe". */
  readonly name: string;
  /** Token string of every id: vocab[id]. The first 7 are SPECIAL_TOKENS. */
  readonly vocab: readonly string[];
  readonly vocabSize: number;
  /** Ids 0-6 (see SPECIAL_IDS). */
  readonly specialIds: readonly number[];
  /** The tokens of `text` as strings (no specials added; unknown symbols as "[UNK]"). */
  tokenize(text: string): string[];
  /** The ids of `text` (no specials added; unknown symbols as UNK_ID). Empty text gives []. */
  encode(text: string): number[];
  /** Text of `ids`; specials dropped unless opts.keepSpecials. Throws for ids outside the vocabulary. */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** Id of one token string; UNK_ID when it is not in the vocabulary. */
  idOf(token: string): number;
  /** Token string of one id; throws for ids outside the vocabulary. */
  tokenOf(id: number): string;
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x)}`;
  return `${typeof x} ${String(x)}`;
}

abstract class BaseTokenizer implements Tokenizer {
  readonly vocab: readonly string[];
  readonly specialIds = SPECIAL_IDS;
  private readonly index: Map<string, number>;

  constructor(readonly name: string, regular: readonly string[]) {
    this.vocab = Object.freeze([...SPECIAL_TOKENS, ...regular]);
    this.index = new Map(this.vocab.map((t, i) => [t, i]));
    if (this.index.size !== this.vocab.length) throw new Error(`${name} tokenizer: the vocabulary has duplicate tokens`);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  abstract tokenize(text: string): string[];
  /** Joins token strings into text. */
  protected abstract join(tokens: string[]): string;

  encode(text: string): number[] {
    return this.tokenize(requireText(`${this.name}.encode`, text)).map((t) => this.idOf(t));
  }

  idOf(token: string): number {
    return this.index.get(token) ?? UNK_ID;
  }

  tokenOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.length) {
      throw new LabInputError(`${this.name}.tokenOf: id ${id} is not in the vocabulary (integers 0 to ${this.vocab.length - 1})`);
    }
    return this.vocab[id];
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const fn = `${this.name}.decode`;
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") {
      throw new LabInputError(`${fn}: argument "ids" must be an array of token ids, got ${describeValue(ids)}`);
    }
    const kept: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocab.length) {
        throw new LabInputError(`${fn}: ids[${i}] = ${id} is not a token id of the ${this.name} vocabulary (integers 0 to ${this.vocab.length - 1})`);
      }
      if (id >= SPECIAL_TOKENS.length || id === UNK_ID || opts.keepSpecials) kept.push(this.vocab[id]);
    }
    return this.join(kept);
  }
}

function requireText(fn: string, text: unknown): string {
  if (typeof text !== "string") throw new LabInputError(`${fn}: argument "text" must be a string, got ${describeValue(text)}`);
  return text;
}

/** Lower case, accents removed (é -> e), surrounding whitespace trimmed. */
function foldLetters(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
}

/**
 * One token per character of a fixed alphabet. Input is folded first (lower case, accents
 * removed: "José" -> "jose"); any other character (digit, apostrophe, hyphen, space) is [UNK].
 */
export class CharTokenizer extends BaseTokenizer {
  private readonly known: Set<string>;
  constructor(name: string, alphabet: readonly string[]) {
    super(name, alphabet);
    this.known = new Set(alphabet);
  }
  tokenize(text: string): string[] {
    return Array.from(foldLetters(requireText(`${this.name}.tokenize`, text)), (c) => (this.known.has(c) ? c : "[UNK]"));
  }
  protected join(tokens: string[]): string {
    return tokens.join("");
  }
}

/**
 * ARPAbet phonemes: "HH AH0 L OW1" or ["HH", "AH", "L", "OW"] (case and stress digits ignored).
 * Anything that is not one of the 39 phonemes is [UNK]. decode() joins with single spaces.
 */
export class PhonemeTokenizer extends BaseTokenizer {
  constructor() {
    super("phonemes", ARPABET);
  }
  tokenize(text: string | readonly string[]): string[] {
    const fn = `${this.name}.tokenize`;
    const parts = Array.isArray(text) ? text.map((p, i) => {
      if (typeof p !== "string") throw new LabInputError(`${fn}: phoneme ${i} must be a string, got ${describeValue(p)}`);
      return p;
    }) : requireText(fn, text).trim().split(/\s+/).filter((p) => p !== "");
    return parts.map((p) => {
      const bare = p.trim().toUpperCase().replace(/[012]$/, "");
      return PHONEMES.has(bare) ? bare : "[UNK]";
    });
  }
  override encode(text: string | readonly string[]): number[] {
    return this.tokenize(text).map((t) => this.idOf(t));
  }
  protected join(tokens: string[]): string {
    return tokens.join(" ");
  }
}

// ---------------------------------------------------------------------------------------------
// Byte-pair encoding for e-mail text

/** Marks "a space stood before this", as in SentencePiece: "▁free" is the word "free" after a space. */
export const SPACE_MARK = "\u2581";
/** Pre-tokens longer than this many characters are cut into pieces of this length first. */
export const MAX_PRETOKEN_CHARS = 48;

/**
 * The normalisation the e-mail tokenizer applies before anything else: NFKC, lower case, accents
 * removed, curly quotes made straight and dashes made hyphens, control and invisible format
 * characters removed, every run of whitespace (line breaks included) made one space, trimmed.
 */
export function normalizeText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/\p{Cf}/gu, "")
    .replace(/[\s\u2581]+/gu, " ")
    .replace(/\p{Cc}/gu, "")
    .trim()
    .normalize("NFC");
}

const PRETOKEN = / ?[\p{L}\p{N}]+| ?([^\s\p{L}\p{N}])\1*/gu;

/**
 * Splits normalised text into the units BPE works inside: runs of letters/digits, and runs of
 * one repeated symbol ("!!!"), each carrying SPACE_MARK when a space preceded it (the text's
 * start counts as a space). Concatenating them, with SPACE_MARK as " ", gives " " + text back.
 */
export function preTokenize(normalized: string): string[] {
  if (normalized === "") return [];
  const out: string[] = [];
  for (const m of (" " + normalized).match(PRETOKEN) ?? []) {
    const piece = m[0] === " " ? SPACE_MARK + m.slice(1) : m;
    if (piece.length <= MAX_PRETOKEN_CHARS) {
      out.push(piece);
      continue;
    }
    const cps = Array.from(piece);
    for (let i = 0; i < cps.length; i += MAX_PRETOKEN_CHARS) out.push(cps.slice(i, i + MAX_PRETOKEN_CHARS).join(""));
  }
  return out;
}

export interface BpeModel {
  kind: "bpe";
  version: 1;
  /** Size of the whole vocabulary: 7 specials + alphabet + merged tokens. */
  vocabSize: number;
  /** Characters seen at least minCharCount times in the training text (SPACE_MARK always). */
  alphabet: string[];
  /** Merge rules in the order they were learned: [left, right]. */
  merges: [string, string][];
  minCharCount: number;
  /** Free-form provenance: what it was trained on. */
  trainedOn?: string;
}

export interface BpeTrainOptions {
  /** Total vocabulary size, the 7 specials included. */
  vocabSize: number;
  /** Characters seen fewer times than this in the training text become [UNK] (default 1). */
  minCharCount?: number;
  trainedOn?: string;
}

const UNK_SYMBOL = -1;

/**
 * Byte-pair encoding over characters, with a fixed alphabet and [UNK] for characters outside
 * it. Training (BpeTokenizer.train) counts pre-tokens, then repeatedly merges the most frequent
 * adjacent pair of symbols; ties go to the pair whose (left, right) strings sort first, so the
 * same texts always give the same merges. Encoding applies the merges in the order learned.
 * decode(encode(t)) === normalizeText(t) whenever t has no character outside the alphabet.
 */
export class BpeTokenizer extends BaseTokenizer {
  private readonly alphabet: Set<string>;
  private readonly ranks: Map<string, number>;
  private readonly memo = new Map<string, number[]>();

  private constructor(readonly model: Readonly<BpeModel>, regular: string[]) {
    super("spam-bpe", regular);
    this.alphabet = new Set(model.alphabet);
    this.ranks = new Map(model.merges.map(([a, b], i) => [a + "\u0000" + b, i]));
  }

  /** Rebuilds a trained tokenizer from its JSON form (checked for consistency). */
  static fromModel(model: BpeModel): BpeTokenizer {
    if (model?.kind !== "bpe" || model.version !== 1 || !Array.isArray(model.alphabet) || !Array.isArray(model.merges)) {
      throw new Error("BpeTokenizer.fromModel: not a version-1 BPE model (expected kind \"bpe\", version 1, alphabet and merges)");
    }
    const regular = [...model.alphabet];
    const seen = new Set<string>([...SPECIAL_TOKENS, ...regular]);
    for (const [a, b] of model.merges) {
      if (!seen.has(a) || !seen.has(b)) throw new Error(`BpeTokenizer.fromModel: merge "${a}" + "${b}" uses a token that does not exist before it`);
      const t = a + b;
      if (!seen.has(t)) {
        seen.add(t);
        regular.push(t);
      }
    }
    if (regular.length + SPECIAL_TOKENS.length !== model.vocabSize) {
      throw new Error(`BpeTokenizer.fromModel: the model makes ${regular.length + SPECIAL_TOKENS.length} tokens, its vocabSize says ${model.vocabSize}`);
    }
    return new BpeTokenizer(model, regular);
  }

  /** The JSON form written to datasets/spam/tokenizer.json. */
  toJSON(): BpeModel {
    return { ...this.model, alphabet: [...this.model.alphabet], merges: this.model.merges.map(([a, b]) => [a, b]) };
  }

  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id]);
  }

  override encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of preTokenize(normalizeText(requireText(`${this.name}.encode`, text)))) {
      let ids = this.memo.get(piece);
      if (!ids) {
        ids = this.encodePiece(piece).map((t) => this.idOf(t));
        if (this.memo.size < 200_000) this.memo.set(piece, ids);
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    }
    return out;
  }

  private encodePiece(piece: string): string[] {
    // Unknown characters become one [UNK] per run; [UNK] never merges.
    const syms: string[] = [];
    for (const c of piece) {
      if (this.alphabet.has(c)) syms.push(c);
      else if (syms[syms.length - 1] !== "[UNK]") syms.push("[UNK]");
    }
    // rank[i]: rank of the merge (syms[i], syms[i+1]). Merging the leftmost lowest-ranked pair one
    // at a time equals applying each merge to all its (non-overlapping) occurrences left to right,
    // since a merge can only create pairs whose merges were learned later.
    const rankOf = (a: string, b: string) => (a === "[UNK]" || b === "[UNK]" ? Infinity : (this.ranks.get(a + "\u0000" + b) ?? Infinity));
    const rank: number[] = [];
    for (let i = 0; i + 1 < syms.length; i++) rank.push(rankOf(syms[i], syms[i + 1]));
    for (;;) {
      let at = -1;
      let best = Infinity;
      for (let i = 0; i < rank.length; i++) {
        if (rank[i] < best) {
          best = rank[i];
          at = i;
        }
      }
      if (at < 0) return syms;
      syms.splice(at, 2, syms[at] + syms[at + 1]);
      rank.splice(at, 1);
      if (at > 0) rank[at - 1] = rankOf(syms[at - 1], syms[at]);
      if (at < rank.length) rank[at] = rankOf(syms[at], syms[at + 1]);
    }
  }

  protected join(tokens: string[]): string {
    return tokens.join("").split(SPACE_MARK).join(" ").replace(/^ /, "");
  }

  /** Learns a vocabulary of `opts.vocabSize` tokens from `texts` (see the class comment). */
  static train(texts: readonly string[], opts: BpeTrainOptions): BpeTokenizer {
    const fn = "BpeTokenizer.train";
    if (!Array.isArray(texts)) throw new LabInputError(`${fn}: argument "texts" must be an array of strings, got ${describeValue(texts)}`);
    const minCharCount = opts.minCharCount ?? 1;
    const vocabSize = opts.vocabSize;
    if (!Number.isInteger(vocabSize) || vocabSize < SPECIAL_TOKENS.length + 1 || vocabSize > 60_000) {
      throw new LabInputError(`${fn}: option "vocabSize" must be an integer in [${SPECIAL_TOKENS.length + 1}, 60000], got ${vocabSize}`);
    }
    // Pre-token counts, and character counts weighted by them.
    const pieceCounts = new Map<string, number>();
    texts.forEach((t, i) => {
      if (typeof t !== "string") throw new LabInputError(`${fn}: texts[${i}] must be a string, got ${describeValue(t)}`);
      for (const p of preTokenize(normalizeText(t))) pieceCounts.set(p, (pieceCounts.get(p) ?? 0) + 1);
    });
    const charCounts = new Map<string, number>();
    for (const [p, n] of pieceCounts) for (const c of p) charCounts.set(c, (charCounts.get(c) ?? 0) + n);
    const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const alphabet = [...charCounts].filter(([c, n]) => n >= minCharCount || c === SPACE_MARK).map(([c]) => c);
    if (!alphabet.includes(SPACE_MARK)) alphabet.push(SPACE_MARK);
    alphabet.sort(byCodeUnits);
    if (alphabet.length + SPECIAL_TOKENS.length > vocabSize) {
      throw new LabInputError(`${fn}: the alphabet alone has ${alphabet.length} characters, more than vocabSize ${vocabSize} minus 7 specials allows; raise vocabSize or minCharCount`);
    }

    // Symbols as small integers; a pair (a, b) is the key a * 65536 + b.
    const symbols: string[] = [];
    const symbolId = new Map<string, number>();
    const intern = (s: string) => {
      let id = symbolId.get(s);
      if (id === undefined) {
        id = symbols.length;
        symbols.push(s);
        symbolId.set(s, id);
      }
      return id;
    };
    alphabet.forEach(intern);
    const words: number[][] = [];
    const counts: number[] = [];
    const sortedPieces = [...pieceCounts.keys()].sort(byCodeUnits);
    for (const p of sortedPieces) {
      const syms: number[] = [];
      for (const c of p) {
        const id = symbolId.get(c);
        if (id !== undefined) syms.push(id);
        else if (syms[syms.length - 1] !== UNK_SYMBOL) syms.push(UNK_SYMBOL);
      }
      words.push(syms);
      counts.push(pieceCounts.get(p)!);
    }
    const pairCount = new Map<number, number>();
    const pairWords = new Map<number, Set<number>>();
    const addPairs = (w: number, sign: 1 | -1) => {
      const syms = words[w];
      for (let i = 0; i + 1 < syms.length; i++) {
        if (syms[i] === UNK_SYMBOL || syms[i + 1] === UNK_SYMBOL) continue;
        const key = syms[i] * 65536 + syms[i + 1];
        const n = (pairCount.get(key) ?? 0) + sign * counts[w];
        if (n > 0) pairCount.set(key, n);
        else pairCount.delete(key);
        if (sign > 0) {
          let set = pairWords.get(key);
          if (!set) pairWords.set(key, (set = new Set()));
          set.add(w);
        }
      }
    };
    words.forEach((_, w) => addPairs(w, 1));

    const merges: [string, string][] = [];
    let size = SPECIAL_TOKENS.length + alphabet.length;
    while (size < vocabSize) {
      let bestKey = -1;
      let bestCount = 0;
      for (const [key, n] of pairCount) {
        if (n < 2 || n < bestCount) continue; // a pair seen once is not worth a token
        if (n > bestCount) {
          bestKey = key;
          bestCount = n;
          continue;
        }
        // Tie: the pair whose (left, right) strings sort first.
        const la = symbols[Math.floor(key / 65536)];
        const ba = symbols[Math.floor(bestKey / 65536)];
        if (la < ba || (la === ba && symbols[key % 65536] < symbols[bestKey % 65536])) bestKey = key;
      }
      if (bestKey < 0) break;
      const a = Math.floor(bestKey / 65536);
      const b = bestKey % 65536;
      const merged = symbols[a] + symbols[b];
      const isNew = !symbolId.has(merged);
      const m = intern(merged);
      if (isNew) size++;
      merges.push([symbols[a], symbols[b]]);
      for (const w of [...(pairWords.get(bestKey) ?? [])].sort((x, y) => x - y)) {
        const syms = words[w];
        let has = false;
        for (let i = 0; i + 1 < syms.length; i++) if (syms[i] === a && syms[i + 1] === b) has = true;
        if (!has) continue;
        addPairs(w, -1);
        const next: number[] = [];
        for (let i = 0; i < syms.length; i++) {
          if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
            next.push(m);
            i++;
          } else next.push(syms[i]);
        }
        words[w] = next;
        addPairs(w, 1);
      }
      pairCount.delete(bestKey);
      pairWords.delete(bestKey);
    }
    return BpeTokenizer.fromModel({ kind: "bpe", version: 1, vocabSize: size, alphabet, merges, minCharCount, trainedOn: opts.trainedOn });
  }
}

// ---------------------------------------------------------------------------------------------
// The course's tokenizer instances

let letters: CharTokenizer | undefined;
let phonemes: PhonemeTokenizer | undefined;
const spam = new Map<string, BpeTokenizer>();

/** Letters a-z (ids 7-32, vocabSize 33): names in notebook 05, spellings in notebook 06. */
export function letterTokenizer(): CharTokenizer {
  return (letters ??= new CharTokenizer("letters", LETTERS));
}

/** The 39 ARPAbet phonemes (ids 7-45, vocabSize 46): pronunciations in notebook 06. */
export function phonemeTokenizer(): PhonemeTokenizer {
  return (phonemes ??= new PhonemeTokenizer());
}

/** The e-mail BPE trained on the spam training split (datasets/spam/tokenizer.json), notebook 04. */
export function spamTokenizer(opts: { dir?: string } = {}): BpeTokenizer {
  const key = opts.dir ?? "";
  let tok = spam.get(key);
  if (!tok) {
    const json = readDatasetFile("spam/tokenizer.json", { dir: opts.dir, caller: "spamTokenizer" }).toString("utf8");
    tok = BpeTokenizer.fromModel(JSON.parse(json) as BpeModel);
    spam.set(key, tok);
  }
  return tok;
}

// ---------------------------------------------------------------------------------------------
// Batches

export interface EncodeBatchOptions {
  /** Length of every row, specials included. */
  contextLength: number;
  /** Ids before the tokens, e.g. [CLS_ID] for BERT or [BOS_ID]. */
  prefix?: readonly number[];
  /** Ids after the tokens, e.g. [SEP_ID] or [EOS_ID]; kept when the tokens are cut. */
  suffix?: readonly number[];
  /**
   * How many of a cut text's LAST tokens to keep (default 0: keep only its start). A cut text
   * keeps its first room − keepTail tokens, then its last keepTail, where room = contextLength −
   * prefix − suffix: the end of an e-mail (signatures, list footers, unsubscribe lines) says a lot.
   */
  keepTail?: number;
}

export interface EncodedBatch extends PaddedBatch {
  /** Tokens of each text before truncation (specials not counted). */
  tokenCounts: number[];
  /** Indices of the texts whose tokens were cut to fit (their first tokens kept, and their last keepTail). */
  truncatedRows: number[];
}

/**
 * Encodes texts into one padded [texts.length, contextLength] batch: prefix + tokens + suffix,
 * the tokens cut to contextLength - prefix - suffix when too long (the first ones, and the last
 * `keepTail`; counted in `truncated` and listed in `truncatedRows`), [PAD] after. An empty text
 * gives prefix + suffix.
 */
export function encodeBatch(tok: Tokenizer, texts: readonly string[], opts: EncodeBatchOptions): EncodedBatch {
  const fn = "encodeBatch";
  if (!Array.isArray(texts)) throw new LabInputError(`${fn}: argument "texts" must be an array of strings, got ${describeValue(texts)}`);
  checkFraming(fn, opts);
  const tokens = texts.map((t, i) => {
    if (typeof t !== "string") throw new LabInputError(`${fn}: texts[${i}] must be a string, got ${describeValue(t)}`);
    return tok.encode(t);
  });
  return frameBatch(tokens, opts);
}

function checkFraming(fn: string, opts: EncodeBatchOptions): number {
  const specials = (opts.prefix?.length ?? 0) + (opts.suffix?.length ?? 0);
  const room = opts.contextLength - specials;
  if (!Number.isInteger(opts.contextLength) || room < 1) {
    throw new LabInputError(`${fn}: option "contextLength" must be an integer larger than prefix + suffix (${specials}), got ${opts.contextLength}`);
  }
  const tail = opts.keepTail ?? 0;
  if (!Number.isInteger(tail) || tail < 0 || tail > room) {
    throw new LabInputError(`${fn}: option "keepTail" must be an integer in [0, ${room}] (the room for tokens), got ${describeValue(opts.keepTail)}`);
  }
  return room;
}

/**
 * encodeBatch for texts already encoded (token id lists, e.g. cached): the same framing, cutting,
 * padding and counting.
 */
export function frameBatch(tokenLists: readonly (readonly number[])[], opts: EncodeBatchOptions): EncodedBatch {
  const fn = "frameBatch";
  if (!Array.isArray(tokenLists)) throw new LabInputError(`${fn}: argument "tokenLists" must be an array of id arrays, got ${describeValue(tokenLists)}`);
  const room = checkFraming(fn, opts);
  const prefix = opts.prefix ?? [];
  const suffix = opts.suffix ?? [];
  const tail = opts.keepTail ?? 0;
  const tokenCounts: number[] = [];
  const truncatedRows: number[] = [];
  const rows = tokenLists.map((ids, i) => {
    if (!Array.isArray(ids)) throw new LabInputError(`${fn}: tokenLists[${i}] must be an array of ids, got ${describeValue(ids)}`);
    tokenCounts.push(ids.length);
    if (ids.length <= room) return [...prefix, ...ids, ...suffix];
    truncatedRows.push(i);
    return [...prefix, ...ids.slice(0, room - tail), ...ids.slice(ids.length - tail), ...suffix];
  });
  const batch = padBatch(rows, { padId: PAD_ID, length: opts.contextLength });
  return { ...batch, truncated: truncatedRows.length, tokenCounts, truncatedRows };
}
