/**
 * Taking in a submission as the platforms deliver it: a folder (nested any way a learning
 * platform's download unpacks: `frank/frank-hw1/lib/attention.ts`), a .zip, or a folder holding
 * the student's uploaded .zip (zips inside a zip are not opened). Only the exercise
 * files (`<module>.ts` for each module of the exercise table) are ever read; nothing else of the
 * submission (its tests, package.json, configs, node_modules, symbolic links) is used, and nothing
 * is extracted to disk: a zip's exercise entries are inflated in memory, under a size cap.
 *
 * Where the files are: the folder holding the most exercise files is the submission's root; each
 * module is taken from there, or else from the shallowest place it is found. Everything unusual
 * becomes a note in that student's feedback: files found somewhere unexpected, duplicates (which
 * copy was graded, which ignored), files under a solutions/ folder (never graded), a submission
 * with no exercise files at all (with what it does hold), unsafe zip entries.
 *
 * Bad input is graded or rejected with a message, never a crash: zips with `../` or absolute
 * paths, symbolic links, encrypted or unknown compression, more than MAX_ENTRIES entries, an
 * exercise file over MAX_FILE_BYTES (declared or inflated), text that is not UTF-8 (UTF-16 with a
 * byte-order mark is converted, with a note).
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { EXERCISE_MODULES, EXERCISES } from "../lib/support/exercises";

/** The largest exercise file graded (the biggest reference file is about 30 kB). */
export const MAX_FILE_BYTES = 1 << 20;
/** Entries looked at in a folder or a zip before giving up the search. */
export const MAX_ENTRIES = 20_000;
/** The largest zip read (it is read into memory; only its exercise entries are inflated). */
export const MAX_ZIP_BYTES = 256 << 20;
/** Folder depth searched. */
const MAX_DEPTH = 16;

/** Folders never searched: installed packages, version control, macOS resource forks. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", "__MACOSX"]);

export type Intake = {
  /** The exercise files found, as UTF-8 text, by module, with the path they came from (inside the submission). */
  files: Map<string, { text: string; from: string }>;
  /** Modules found but not gradable (symbolic link, too big, not UTF-8, unreadable zip entry): the feedback for every test. */
  rejected: Map<string, string>;
  /** What the student (and tutor) should know about where files were found or why some were ignored. */
  notes: string[];
};

interface Candidate {
  module: string;
  /** Posix path inside the submission ("frank/lib/attention.ts"; for a zip, the entry's name). */
  rel: string;
  /** A symbolic link (never read). */
  link?: boolean;
  size: number;
  read(): Buffer;
}

const MODULE_OF = new Map(EXERCISE_MODULES.map((m) => [`${m}.ts`, m]));

/** The exercise functions a module holds. */
export function functionsOf(module: string): string[] {
  return EXERCISES.filter((e) => e.module === module).map((e) => e.fn);
}

const dirOf = (rel: string) => path.posix.dirname(rel);
const depthOf = (rel: string) => rel.split("/").length;
/** "frank/lib/" for display; "" is the submission's top. */
const shownDir = (dir: string) => (dir === "." ? "the top of the submission" : `${dir}/`);

/**
 * Decodes an exercise file: UTF-8 (a byte-order mark dropped), UTF-16 with a byte-order mark
 * (converted, with a note), or an error naming the first byte that is not UTF-8 and its line.
 */
export function decodeSource(bytes: Buffer, shown: string): { text: string; note?: string } | { error: string } {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const le = bytes[0] === 0xff;
    const body = bytes.subarray(2);
    const swapped = le ? body : Buffer.from(body).swap16();
    return { text: new TextDecoder("utf-16le").decode(swapped), note: `${shown} is UTF-16 text; it was converted to UTF-8 for grading (save it as UTF-8: the notebook needs that)` };
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    if (text.includes("\u0000")) {
      const line = text.slice(0, text.indexOf("\u0000")).split("\n").length;
      return { error: `not graded: ${shown} is not a text file (a NUL byte on line ${line})` };
    }
    return { text };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString("latin1").split("\n").length;
    return { error: `not graded: ${shown} is not UTF-8 text (byte 0x${bytes[at].toString(16).toUpperCase().padStart(2, "0")} on line ${line}); save it as UTF-8 and submit again` };
  }
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

// ---------------------------------------------------------------------------------------------
// Zip files: the central directory, read by hand (no extraction, nothing written).

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
  /** Unix mode from the external attributes (0 when the zip was not made on Unix). */
  mode: number;
}

export class ZipError extends Error {}

function readZipDirectory(buf: Buffer): ZipEntry[] {
  // The end-of-central-directory record: the last 22 bytes, or earlier when a comment follows it.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("it is not a zip file (no end-of-central-directory record)");
  const count = buf.readUInt16LE(eocd + 10);
  const dirSize = buf.readUInt32LE(eocd + 12);
  const dirOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) throw new ZipError("it is a Zip64 archive, which the grader does not read; zip the files again with a standard zip");
  if (count > MAX_ENTRIES) throw new ZipError(`it holds ${count} entries (more than ${MAX_ENTRIES}); submit only your lib/ folder`);
  if (dirOffset + dirSize > buf.length) throw new ZipError("it is truncated or damaged (its directory lies past its end)");
  const entries: ZipEntry[] = [];
  let p = dirOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipError("it is damaged (a directory entry is broken)");
    const flags = buf.readUInt16LE(p + 8);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const nameBytes = buf.subarray(p + 46, p + 46 + nameLen);
    entries.push({
      name: flags & 0x800 ? nameBytes.toString("utf8") : nameBytes.toString("latin1"),
      method: buf.readUInt16LE(p + 10),
      flags,
      crc: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      mode: buf.readUInt32LE(p + 38) >>> 16,
      localOffset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function inflateEntry(buf: Buffer, e: ZipEntry): Buffer {
  if (e.flags & 0x1) throw new ZipError("it is encrypted");
  if (e.size > MAX_FILE_BYTES) throw new ZipError(`it is ${e.size} bytes (more than ${MAX_FILE_BYTES})`);
  const at = e.localOffset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== 0x04034b50) throw new ZipError("its data is missing or damaged");
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  if (data.length < e.compressedSize) throw new ZipError("its data is cut short");
  let out: Buffer;
  if (e.method === 0) out = Buffer.from(data);
  else if (e.method === 8) {
    try {
      out = zlib.inflateRawSync(data, { maxOutputLength: MAX_FILE_BYTES });
    } catch (err) {
      throw new ZipError((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" ? `it inflates to more than ${MAX_FILE_BYTES} bytes` : "its compressed data is damaged");
    }
  } else throw new ZipError(`it is compressed with method ${e.method}, which the grader does not read (use a standard zip: "deflate" or "store")`);
  const crc32 = (zlib as unknown as { crc32?: (b: Buffer) => number }).crc32;
  if (crc32 && crc32(out) >>> 0 !== e.crc >>> 0) throw new ZipError("its checksum does not match (the zip is damaged)");
  return out;
}

/** A path inside a zip that would leave the submission if it were extracted. */
function unsafeZipPath(name: string): boolean {
  return name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name) || name.split(/[\\/]/).some((s) => s === "..");
}

function zipCandidates(file: string, notes: string[]): Candidate[] {
  const size = fs.statSync(file).size;
  if (size > MAX_ZIP_BYTES) throw new ZipError(`it is ${(size / 2 ** 20).toFixed(0)} MB (more than ${MAX_ZIP_BYTES / 2 ** 20} MB); submit only your lib/ folder`);
  const buf = fs.readFileSync(file);
  const out: Candidate[] = [];
  const unsafe: string[] = [];
  for (const e of readZipDirectory(buf)) {
    const name = e.name.replace(/\\/g, "/");
    if (name.endsWith("/")) continue;
    const parts = name.split("/");
    const base = parts[parts.length - 1];
    const module = MODULE_OF.get(base);
    if (unsafeZipPath(e.name)) {
      if (module) unsafe.push(e.name);
      continue;
    }
    if (!module || parts.slice(0, -1).some((s) => SKIPPED_DIRS.has(s) || s.startsWith("."))) continue;
    const link = (e.mode & 0o170000) === 0o120000;
    out.push({ module, rel: name, link, size: e.size, read: () => inflateEntry(buf, e) });
  }
  if (unsafe.length > 0) notes.push(`ignored ${unsafe.length === 1 ? "a zip entry" : `${unsafe.length} zip entries`} with a path outside the submission: ${unsafe.slice(0, 3).join(", ")}`);
  return out;
}

function folderCandidates(root: string, notes: string[]): Candidate[] {
  const out: Candidate[] = [];
  let seen = 0;
  let cut = false;
  const walk = (dir: string, rel: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return; // unreadable folder: nothing in it is graded
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) {
        cut = true;
        return;
      }
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.startsWith(".") && depth < MAX_DEPTH) walk(p, r, depth + 1);
        continue;
      }
      // A zip inside a folder (learning platforms' downloads: a folder per student holding the upload): its entries, one level deep.
      if (e.isFile() && e.name.toLowerCase().endsWith(".zip")) {
        try {
          for (const c of zipCandidates(p, notes)) out.push({ ...c, rel: `${r}/${c.rel}` });
        } catch (err) {
          if (!(err instanceof ZipError)) throw err;
          notes.push(`could not open ${r}: ${err.message}`);
        }
        continue;
      }
      const module = MODULE_OF.get(e.name);
      if (!module) continue;
      if (e.isSymbolicLink()) out.push({ module, rel: r, link: true, size: 0, read: () => Buffer.alloc(0) });
      else if (e.isFile()) {
        const size = fs.statSync(p).size;
        out.push({ module, rel: r, size, read: () => fs.readFileSync(p) });
      }
    }
  };
  walk(root, "", 0);
  if (cut) notes.push(`stopped looking for exercise files after ${MAX_ENTRIES} files and folders; submit only your lib/ folder`);
  return out;
}

/** What a submission with no exercise files holds (a few names), for the note that says so. */
function describeContents(src: string, isZip: boolean): string {
  try {
    const names = isZip
      ? readZipDirectory(fs.readFileSync(src)).map((e) => e.name).filter((n) => !n.endsWith("/"))
      : fs.readdirSync(src).filter((n) => !n.startsWith("."));
    if (names.length === 0) return "it is empty";
    const what = isZip ? (names.length === 1 ? "file" : "files") : names.length === 1 ? "entry at its top" : "entries at its top";
    return `it holds ${names.length} ${what}: ${names.slice(0, 5).join(", ")}${names.length > 5 ? ", …" : ""}`;
  } catch {
    return "it could not be listed";
  }
}

/** True for a file that is a zip (by its name or its first bytes). */
export function isZipFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (file.toLowerCase().endsWith(".zip")) return true;
    const fd = fs.openSync(file, "r");
    try {
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, 0);
      return b.readUInt32LE(0) === 0x04034b50;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Finds the exercise files of a submission (a folder or a .zip) and reads them. Never throws for
 * a broken submission: an unreadable zip makes every module "rejected" with the reason.
 */
export function takeIn(src: string): Intake {
  const files = new Map<string, { text: string; from: string }>();
  const rejected = new Map<string, string>();
  const notes: string[] = [];
  const zip = isZipFile(src);
  let candidates: Candidate[];
  try {
    candidates = zip ? zipCandidates(src, notes) : folderCandidates(src, notes);
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    const why = `not graded: the submission ${path.basename(src)} could not be read as a zip: ${e.message}`;
    for (const m of EXERCISE_MODULES) rejected.set(m, why);
    return { files, rejected, notes: [why] };
  }

  // A solutions/ folder in a submission (a copy of the tutor's kit?) is never graded.
  const inSolutions = (c: Candidate) => c.rel.split("/").slice(0, -1).includes("solutions");
  const ignoredSolutions = candidates.filter(inSolutions);
  if (ignoredSolutions.length > 0) notes.push(`ignored ${ignoredSolutions.map((c) => c.rel).join(", ")}: files under a solutions/ folder are never graded`);
  const usable = candidates.filter((c) => !inSolutions(c));
  if (usable.length === 0) {
    notes.push(`no exercise files found anywhere in the submission (looked for ${EXERCISE_MODULES.map((m) => `${m}.ts`).join(", ")}); ${describeContents(src, zip)}`);
    return { files, rejected, notes };
  }

  // The root: the folder holding the most exercise files (ties: the shallowest, then by name).
  const byDir = new Map<string, Set<string>>();
  for (const c of usable) byDir.set(dirOf(c.rel), (byDir.get(dirOf(c.rel)) ?? new Set()).add(c.module));
  const root = [...byDir.entries()].sort((a, b) => b[1].size - a[1].size || depthOf(a[0]) - depthOf(b[0]) || (a[0] < b[0] ? -1 : 1))[0][0];
  if (root !== "." && root !== "lib") notes.push(`exercise files found in ${shownDir(root)} (not at the top of the submission or in lib/): graded from there`);

  for (const module of EXERCISE_MODULES) {
    const mine = usable.filter((c) => c.module === module).sort((a, b) => Number(dirOf(b.rel) === root) - Number(dirOf(a.rel) === root) || depthOf(a.rel) - depthOf(b.rel) || (a.rel < b.rel ? -1 : 1));
    if (mine.length === 0) continue;
    const chosen = mine[0];
    const shown = `lib/${module}.ts`;
    if (dirOf(chosen.rel) !== root) notes.push(`${module}.ts was not in ${shownDir(root)}: graded ${chosen.rel}`);
    if (mine.length > 1) {
      const same = !chosen.link && mine.every((c) => !c.link && c.size === chosen.size && c.size <= MAX_FILE_BYTES && safeRead(c)?.equals(safeRead(chosen) ?? Buffer.alloc(0)));
      notes.push(`${mine.length} copies of ${module}.ts${same ? " (identical)" : ""}: graded ${chosen.rel}; ignored ${mine.slice(1).map((c) => c.rel).join(", ")}`);
    }
    if (chosen.link) {
      rejected.set(module, `not graded: ${shown} is a symbolic link (or lies inside the kit's solutions/); submit the file itself`);
      continue;
    }
    if (chosen.size > MAX_FILE_BYTES) {
      rejected.set(module, `not graded: ${shown} is ${chosen.size} bytes; an exercise file over ${MAX_FILE_BYTES} bytes is not graded`);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = chosen.read();
    } catch (e) {
      rejected.set(module, e instanceof ZipError ? `not graded: the zip entry ${chosen.rel} could not be read: ${e.message}` : `not graded: ${chosen.rel} could not be read (${(e as Error).message})`);
      continue;
    }
    if (bytes.length > MAX_FILE_BYTES) {
      rejected.set(module, `not graded: ${shown} is ${bytes.length} bytes; an exercise file over ${MAX_FILE_BYTES} bytes is not graded`);
      continue;
    }
    const decoded = decodeSource(bytes, shown);
    if ("error" in decoded) {
      rejected.set(module, decoded.error);
      continue;
    }
    if (decoded.note) notes.push(decoded.note);
    files.set(module, { text: decoded.text, from: chosen.rel });
  }
  return { files, rejected, notes };
}

function safeRead(c: Candidate): Buffer | undefined {
  try {
    return c.read();
  } catch {
    return undefined;
  }
}

/** The feedback of a module the submission does not have. */
export function missingFeedback(module: string): string {
  return `missing file: the submission has no ${module}.ts (lib/${module}.ts, with ${functionsOf(module).join(", ")})`;
}
