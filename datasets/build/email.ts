/**
 * Turns one raw RFC 822 message (bytes) into the readable text of its body: headers dropped,
 * MIME multipart walked, transfer encodings (base64, quoted-printable) undone, charsets decoded,
 * HTML reduced to text. Used by the spam build script; kept free of any dependency.
 *
 * Bytes are carried as "binary strings" (one char per byte, latin1) until the charset of the part
 * they belong to is known; only then are they decoded to Unicode.
 */

export interface BodyStats {
  /** Text parts decoded with a charset we could not use (unknown label), so the fallback ran. */
  unknownCharset: number;
  /** Text parts whose bytes were not valid in their charset (invalid sequences were dropped). */
  invalidBytes: number;
  /** Text parts that were HTML (declared, or an undeclared part that opens with <html>/<body>). */
  html: number;
  /** Non-text parts skipped (images, attachments, signatures). */
  skippedParts: number;
}

export function emptyStats(): BodyStats {
  return { unknownCharset: 0, invalidBytes: 0, html: 0, skippedParts: 0 };
}

interface Part {
  headers: Map<string, string>;
  body: string; // binary string
}

interface ContentType {
  type: string; // "text/plain"
  params: Map<string, string>;
}

/** Splits a message or MIME part into unfolded, lower-cased headers and the raw body. */
function splitPart(raw: string): Part {
  const text = raw.replace(/\r\n?/g, "\n");
  let end = text.indexOf("\n\n");
  // A part that starts with an empty line has no headers.
  if (text.startsWith("\n")) end = 0;
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + (end === 0 ? 1 : 2));
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of head.split("\n")) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers.set(last, headers.get(last) + " " + line.trim());
      continue;
    }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (!m) continue; // the mbox "From " line, or garbage
    last = m[1].toLowerCase();
    // Keep the first occurrence: a repeated Content-Type is usually spam trying to confuse filters.
    if (!headers.has(last)) headers.set(last, m[2].trim());
    else last = undefined;
  }
  // No header block at all (the part is only body text): treat the whole thing as body.
  if (headers.size === 0 && end !== 0) return { headers, body: text };
  return { headers, body };
}

function parseContentType(value: string | undefined, fallback: string): ContentType {
  const params = new Map<string, string>();
  if (!value) return { type: fallback, params };
  const [typePart, ...rest] = value.split(";");
  const type = typePart.trim().toLowerCase().replace(/['"]/g, "");
  const paramText = rest.join(";");
  const re = /([a-zA-Z0-9_*.-]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/g;
  for (let m = re.exec(paramText); m; m = re.exec(paramText)) {
    const key = m[1].toLowerCase();
    if (!params.has(key)) params.set(key, m[2] ?? m[3] ?? "");
  }
  return { type: /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type) ? type : fallback, params };
}

function decodeQuotedPrintable(s: string): string {
  return s
    .replace(/=[ \t]*\n/g, "")
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeBase64(s: string): string {
  return Buffer.from(s.replace(/[^A-Za-z0-9+/]/g, ""), "base64").toString("latin1");
}

function decodeTransfer(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? "").trim().toLowerCase();
  if (enc.startsWith("quoted-printable")) return decodeQuotedPrintable(body);
  if (enc.startsWith("base64")) return decodeBase64(body);
  return body; // 7bit, 8bit, binary, missing or garbage
}

// windows-1252 differs from ISO-8859-1 only in 0x80-0x9f (curly quotes, dashes, the euro sign).
// Node 20's TextDecoder("windows-1252") decodes those bytes as C1 control characters instead,
// so this one is done by hand (five bytes are unassigned and stay controls, as WHATWG says).
const CP1252_HIGH = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/** Bytes (a binary string) read as windows-1252, which every byte value maps into. */
export function decodeWindows1252(bytes: string): string {
  return bytes.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

const CHARSET_ALIASES: Record<string, string> = {
  chinesebig5: "big5",
  gb2312_charset: "gb2312",
  "x-sjis": "shift_jis",
};

// Labels that say nothing about the bytes: decode as UTF-8 when valid, else windows-1252.
const UNINFORMATIVE = new Set(["", "us-ascii", "ascii", "default", "default_charset", "unknown-8bit", "unicode", "x-unknown"]);

/**
 * Decodes the bytes of one text part. The declared charset is used when TextDecoder knows it;
 * otherwise (no charset, us-ascii with 8-bit bytes, an unknown label) the bytes are read as
 * UTF-8 when they are valid UTF-8, else as windows-1252 (which maps every byte). Sequences that
 * are invalid in the chosen charset become U+FFFD, which the cleaning step then removes.
 */
export function decodeCharset(bytes: string, charset: string | undefined, stats: BodyStats): string {
  const buf = Buffer.from(bytes, "latin1");
  let label = (charset ?? "").trim().toLowerCase().replace(/['"]/g, "");
  label = CHARSET_ALIASES[label] ?? label;
  const ascii = !/[\x80-\xff]/.test(bytes);
  if (ascii && !/^(utf-16|utf-32|iso-2022|hz)/.test(label) && label !== "utf-7") return bytes;
  if (!UNINFORMATIVE.has(label)) {
    let decoder: TextDecoder | undefined;
    try {
      decoder = new TextDecoder(label);
    } catch {
      stats.unknownCharset++;
    }
    if (decoder?.encoding === "windows-1252") return decodeWindows1252(bytes); // also latin1, iso-8859-1
    if (decoder) {
      const out = decoder.decode(buf);
      if (out.includes("\ufffd")) stats.invalidBytes++;
      return out;
    }
  }
  // Undeclared text that is mostly 8-bit bytes is in practice Chinese (GB or Big5) spam.
  const high = (bytes.match(/[\x80-\xff]/g) ?? []).length;
  const dense = high > 0.3 * bytes.replace(/\s/g, "").length;
  for (const guess of dense ? ["utf-8", "gb18030", "big5"] : ["utf-8"]) {
    try {
      return new TextDecoder(guess, { fatal: true }).decode(buf);
    } catch {
      // not this one
    }
  }
  return decodeWindows1252(bytes);
}

const ENTITIES: Record<string, string> = {
  nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", copy: "©", reg: "®", trade: "™",
  mdash: "—", ndash: "–", hellip: "…", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", bull: "•",
  middot: "·", laquo: "«", raquo: "»", deg: "°", plusmn: "±", times: "×", divide: "÷", cent: "¢",
  pound: "£", euro: "€", yen: "¥", sect: "§", para: "¶", iexcl: "¡", iquest: "¿", frac12: "½",
  frac14: "¼", frac34: "¾", sup2: "²", sup3: "³", shy: "", ensp: " ", emsp: " ", thinsp: " ",
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);?/g, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "";
      // Numeric references in the 0x80-0x9f range mean windows-1252 characters in practice.
      if (code >= 0x80 && code <= 0x9f) return decodeWindows1252(String.fromCharCode(code));
      return String.fromCodePoint(code);
    }
    const known = ENTITIES[name.toLowerCase()];
    if (known !== undefined) return known;
    // An accented letter (eacute, Ouml, ...) is its base letter plus a combining mark.
    const m = /^([a-zA-Z])(acute|grave|circ|uml|tilde|ring|cedil)$/.exec(name);
    if (m) {
      const mark = { acute: "\u0301", grave: "\u0300", circ: "\u0302", uml: "\u0308", tilde: "\u0303", ring: "\u030a", cedil: "\u0327" }[m[2]]!;
      return (m[1] + mark).normalize("NFC");
    }
    return whole;
  });
}

/** The visible text of an HTML document: scripts, styles, head and comments dropped, block tags as line breaks. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, " ")
      .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, " ")
      .replace(/<(br|p|div|tr|li|h[1-6]|table|blockquote|hr|center|pre)\b[^>]*>/gi, "\n")
      .replace(/<\/(p|div|tr|li|h[1-6]|table|blockquote|center|pre)\s*>/gi, "\n")
      .replace(/<\/?[a-zA-Z!?][^>]*>/g, " ")
      .replace(/[ \t\r\f\v]*\n[ \t\r\f\v]*/g, "\n"),
  );
}

const LOOKS_LIKE_HTML = /<\s*(html|body)[\s>]/i;

/** Text fragments of one part, depth-first; non-text parts are skipped and counted. */
function partText(part: Part, stats: BodyStats, depth: number, defaultType = "text/plain", inherited?: string): string[] {
  const ct = parseContentType(part.headers.get("content-type"), defaultType);
  // A charset put on the multipart container (wrong, but seen) applies to parts that have none.
  if (!ct.params.has("charset") && inherited) ct.params.set("charset", inherited);
  if (depth > 20) return [];
  if (ct.type.startsWith("multipart/")) {
    const boundary = ct.params.get("boundary");
    if (!boundary) return leafText(part, { type: "text/plain", params: ct.params }, stats);
    const children = splitMultipart(part.body, boundary).map(splitPart);
    const childDefault = ct.type === "multipart/digest" ? "message/rfc822" : "text/plain";
    if (ct.type === "multipart/alternative") {
      // One content in several forms: the plain-text form when it has text, else the richest.
      const forms = children.map((c) => ({ c, t: parseContentType(c.headers.get("content-type"), childDefault).type }));
      const order = [...forms.filter((f) => f.t === "text/plain"), ...forms.filter((f) => f.t !== "text/plain").reverse()];
      for (const f of order) {
        const text = partText(f.c, stats, depth + 1, childDefault, ct.params.get("charset"));
        if (text.join("").trim() !== "") return text;
      }
      return [];
    }
    return children.flatMap((c) => partText(c, stats, depth + 1, childDefault, ct.params.get("charset")));
  }
  if (ct.type === "message/rfc822") {
    return partText(splitPart(decodeTransfer(part.body, part.headers.get("content-transfer-encoding"))), stats, depth + 1);
  }
  if (ct.type.startsWith("text/") && ct.type !== "text/rfc822-headers" && ct.type !== "text/x-vcard") {
    const disposition = (part.headers.get("content-disposition") ?? "").toLowerCase();
    const filename = /filename\s*=\s*"?([^";]*)/.exec(disposition)?.[1] ?? "";
    // Attached text files (patches, logs) are kept only when they read like a message.
    if (disposition.startsWith("attachment") && filename && !/\.(txt|html?)$/.test(filename)) {
      stats.skippedParts++;
      return [];
    }
    return leafText(part, ct, stats);
  }
  stats.skippedParts++;
  return [];
}

function leafText(part: Part, ct: ContentType, stats: BodyStats): string[] {
  const bytes = decodeTransfer(part.body, part.headers.get("content-transfer-encoding"));
  // HTML may name its charset in a <meta> tag instead of the header.
  const meta = /<meta[^>]*charset\s*=\s*["']?([a-zA-Z0-9_.:-]+)/i.exec(bytes)?.[1];
  const text = decodeCharset(bytes, ct.params.get("charset") ?? meta, stats);
  const html = ct.type === "text/html" || (ct.type === "text/plain" && LOOKS_LIKE_HTML.test(text));
  if (html) stats.html++;
  if (ct.type === "text/enriched" || ct.type === "text/richtext") return [text.replace(/<\/?[a-zA-Z][^>]*>/g, "")];
  return [html ? htmlToText(text) : text];
}

function splitMultipart(body: string, boundary: string): string[] {
  const esc = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const lines = body.split("\n");
  const delim = new RegExp(`^--${esc}(--)?[ \\t]*$`);
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const m = delim.exec(line);
    if (m) {
      if (current) parts.push(current.join("\n"));
      current = m[1] ? undefined : [];
      if (m[1]) break;
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join("\n"));
  return parts;
}

/**
 * Tidies decoded text: line breaks unified, control, zero-width and private-use characters and
 * U+FFFD (bytes invalid in their charset) removed, no-break spaces made spaces, runs of spaces
 * collapsed, at most one blank line in a row, NFC normalised, trimmed.
 */
export function cleanText(s: string): string {
  return s
    .replace(/\r\n?/g, "\n")
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]/g, " ")
    .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u200b-\u200d\u2060\ue000-\uf8ff\ufeff\ufffd]/g, "")
    .normalize("NFC")
    .replace(/ {2,}/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * A whole header block pasted at the top of a body (a message forwarded raw) is dropped too: it
 * carries the same routing details as real headers. Recognised by a Return-Path:, Received: or
 * mbox "From " line first, at least three header lines, then a blank line.
 */
function dropPastedHeaders(text: string): string {
  const lines = text.split("\n");
  if (!/^(Return-Path:|Received:|From \S+@\S+ )/i.test(lines[0] ?? "")) return text;
  let i = 1;
  while (i < lines.length && /^([!-9;-~]+:|[ \t]+\S)/.test(lines[i])) i++;
  return i >= 3 && i < lines.length && lines[i].trim() === "" ? lines.slice(i + 1).join("\n") : text;
}

/** The readable body of a raw message (bytes as a Buffer): see the file comment. */
export function messageBody(raw: Buffer, stats: BodyStats = emptyStats()): string {
  let part = splitPart(raw.toString("latin1"));
  // A header block broken by a blank line (the body then starts with a folded header line)
  // pushes the MIME headers into the body: parse again from the header lines holding them.
  const lines = part.body.split("\n");
  if (!part.headers.has("content-type") && /^[ \t]+\S/.test(lines[0])) {
    const at = lines.slice(0, 40).findIndex((l) => /^content-type:/i.test(l));
    if (at >= 0) {
      let start = at;
      while (start > 0 && /^([!-9;-~]+:|[ \t]+\S)/.test(lines[start - 1])) start--;
      part = splitPart(lines.slice(start).join("\n"));
    }
  }
  const text = partText(part, stats, 0).join("\n\n").replace(/\r\n?/g, "\n").replace(/^([ \t]*\n)+/, "");
  return cleanText(dropPastedHeaders(text));
}

/**
 * Cuts `text` to at most `maxChars` code points, at the last line break or space in the final
 * tenth of the allowance when there is one (so words are not cut in half).
 */
export function capText(text: string, maxChars: number): { text: string; capped: boolean } {
  const cps = Array.from(text);
  if (cps.length <= maxChars) return { text, capped: false };
  let cut = maxChars;
  for (let i = maxChars; i > Math.floor(maxChars * 0.9); i--) {
    if (cps[i] === " " || cps[i] === "\n") {
      cut = i;
      break;
    }
  }
  return { text: cps.slice(0, cut).join("").trimEnd(), capped: true };
}
