/**
 * Submissions as the platforms deliver them (grader/intake.ts): folders nested any way, zips,
 * duplicates, stray copies of the kit, no exercise files at all, and broken or hostile input
 * (unsafe zip paths, symbolic links, encryption, unknown compression, zip bombs, damaged zips,
 * thousands of entries, text that is not UTF-8). Each is taken in or rejected with a message
 * naming the file, and nothing is ever written outside the grader's own folder.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { afterAll, describe, expect, it } from "vitest";
import { EXERCISE_MODULES, EXERCISES } from "../../lib/support/exercises";
import { MAX_ENTRIES, MAX_FILE_BYTES, takeIn } from "../../grader/intake";
import { CLI, REGISTER, ROOT, SOLUTIONS_DIR } from "../../grader/paths";
import { makeZip } from "./zip-writer";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-intake-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A folder with the given files (paths relative to it). */
function folder(files: Record<string, string | Buffer>): string {
  const dir = path.join(tmp, `f${n++}`);
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), data);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function zipFile(entries: Parameters<typeof makeZip>[0], name = `z${n++}.zip`): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, makeZip(entries));
  return file;
}

const ATTN = "export const a = 1;\n";
const TENS = "export const t = 2;\n";

describe("taking in a folder", () => {
  it("finds the files at the top or in lib/ without a note", () => {
    const layouts: Record<string, string>[] = [{ "attention.ts": ATTN, "tensors.ts": TENS }, { "lib/attention.ts": ATTN, "lib/tensors.ts": TENS, "package.json": "{}" }];
    for (const files of layouts) {
      const got = takeIn(folder(files));
      expect([...got.files.keys()].sort()).toEqual(["attention", "tensors"]);
      expect(got.files.get("attention")?.text).toBe(ATTN);
      expect(got.notes).toEqual([]);
      expect(got.rejected.size).toBe(0);
    }
  });

  it("finds files nested the way platform downloads unpack, and says where", () => {
    const got = takeIn(folder({ "frank/frank-hw1/lib/attention.ts": ATTN, "frank/frank-hw1/lib/tensors.ts": TENS, "frank/frank-hw1/README.md": "hi" }));
    expect(got.files.get("attention")).toEqual({ text: ATTN, from: "frank/frank-hw1/lib/attention.ts" });
    expect(got.files.get("tensors")?.from).toBe("frank/frank-hw1/lib/tensors.ts");
    expect(got.notes).toEqual(["exercise files found in frank/frank-hw1/lib/ (not at the top of the submission or in lib/): graded from there"]);
  });

  it("takes a module missing from the root from elsewhere, and names duplicates: which copy was graded, which ignored", () => {
    const got = takeIn(
      folder({ "lib/attention.ts": ATTN, "lib/tensors.ts": TENS, "old/attention.ts": "export const a = 0;\n", "copy/tensors.ts": TENS, "extra/multihead.ts": "export const m = 3;\n" }),
    );
    expect(got.files.get("attention")?.from).toBe("lib/attention.ts");
    expect(got.files.get("multihead")?.from).toBe("extra/multihead.ts");
    expect(got.notes).toEqual([
      "2 copies of tensors.ts (identical): graded lib/tensors.ts; ignored copy/tensors.ts",
      "2 copies of attention.ts: graded lib/attention.ts; ignored old/attention.ts",
      "multihead.ts was not in lib/: graded extra/multihead.ts",
    ]);
  });

  it("never grades a file under solutions/ or node_modules/, and says so for solutions/", () => {
    const got = takeIn(folder({ "kit/lib/attention.ts": ATTN, "kit/solutions/attention.ts": "reference", "kit/solutions/tensors.ts": "reference", "kit/node_modules/x/tensors.ts": "pkg" }));
    expect(got.files.get("attention")?.from).toBe("kit/lib/attention.ts");
    expect(got.files.has("tensors")).toBe(false);
    expect(got.notes).toContain("ignored kit/solutions/attention.ts, kit/solutions/tensors.ts: files under a solutions/ folder are never graded");
  });

  it("says so when a submission holds no exercise files, naming what it holds", () => {
    const got = takeIn(folder({ "homework.py": "print(1)", "notes.txt": "", "src/Attention.TS.bak": "" }));
    expect(got.files.size).toBe(0);
    expect(got.notes).toHaveLength(1);
    expect(got.notes[0]).toMatch(/^no exercise files found anywhere in the submission \(looked for tensors\.ts, attention\.ts, .*\); it holds 3 entries at its top: homework\.py, notes\.txt, src$/);
    expect(takeIn(folder({})).notes[0]).toMatch(/; it is empty$/);
  });

  it("rejects a symbolic link, a file over the size limit, and text that is not UTF-8, naming the file; converts UTF-16", () => {
    const dir = folder({
      "tensors.ts": Buffer.concat([Buffer.from("export const t = 1;\n// caf"), Buffer.from([0xe9]), Buffer.from("\n")]),
      "multihead.ts": Buffer.alloc(MAX_FILE_BYTES + 1, 0x20),
      "blocks.ts": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("export const b = 4;\n", "utf16le")]),
      "bert.ts": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("export const e = 5;\n")]),
      "gpt.ts": Buffer.from("export const g = 1;\n\u0000\u0001"),
    });
    fs.symlinkSync(path.join(SOLUTIONS_DIR, "attention.ts"), path.join(dir, "attention.ts"));
    const got = takeIn(dir);
    expect(got.rejected.get("attention")).toBe("not graded: lib/attention.ts is a symbolic link (or lies inside the kit's solutions/); submit the file itself");
    expect(got.rejected.get("tensors")).toBe("not graded: lib/tensors.ts is not UTF-8 text (byte 0xE9 on line 2); save it as UTF-8 and submit again");
    expect(got.rejected.get("multihead")).toBe(`not graded: lib/multihead.ts is ${MAX_FILE_BYTES + 1} bytes; an exercise file over ${MAX_FILE_BYTES} bytes is not graded`);
    expect(got.rejected.get("gpt")).toBe("not graded: lib/gpt.ts is not a text file (a NUL byte on line 2)");
    expect(got.files.get("blocks")?.text).toBe("export const b = 4;\n");
    expect(got.notes).toContain("lib/blocks.ts is UTF-16 text; it was converted to UTF-8 for grading (save it as UTF-8: the notebook needs that)");
    expect(got.files.get("bert")?.text).toBe("export const e = 5;\n");
  });

  it("opens a zip inside the folder (one level), and says when it cannot", () => {
    const dir = folder({ "Frank Smith_12_assignsubmission_file_/upload.zip": makeZip([{ name: "lib/attention.ts", data: ATTN }, { name: "inner.zip", data: makeZip([{ name: "tensors.ts", data: TENS }]) }]), "broken.zip": "no" });
    const got = takeIn(dir);
    expect(got.files.get("attention")).toEqual({ text: ATTN, from: "Frank Smith_12_assignsubmission_file_/upload.zip/lib/attention.ts" });
    expect(got.files.has("tensors")).toBe(false);
    expect(got.notes).toContain("could not open broken.zip: it is not a zip file (no end-of-central-directory record)");
  });

  it("stops looking after MAX_ENTRIES files, with a note", () => {
    const dir = path.join(tmp, `many${n++}`);
    fs.mkdirSync(path.join(dir, "a"), { recursive: true });
    for (let i = 0; i < MAX_ENTRIES + 5; i++) fs.writeFileSync(path.join(dir, "a", `f${i}.txt`), "");
    fs.mkdirSync(path.join(dir, "z"));
    fs.writeFileSync(path.join(dir, "z", "attention.ts"), ATTN);
    const got = takeIn(dir);
    expect(got.notes[0]).toBe(`stopped looking for exercise files after ${MAX_ENTRIES} files and folders; submit only your lib/ folder`);
    expect(got.files.size).toBe(0);
  });
});

describe("taking in a zip", () => {
  it("reads stored and deflated entries at any depth, in memory", () => {
    const before = fs.readdirSync(tmp).length;
    const got = takeIn(zipFile([{ name: "frank-hw1/", data: "" }, { name: "frank-hw1/lib/attention.ts", data: ATTN }, { name: "frank-hw1/lib/tensors.ts", data: TENS, method: 0 }, { name: "frank-hw1/package.json", data: "{}" }]));
    expect(got.files.get("attention")).toEqual({ text: ATTN, from: "frank-hw1/lib/attention.ts" });
    expect(got.files.get("tensors")?.text).toBe(TENS);
    expect(got.notes).toEqual(["exercise files found in frank-hw1/lib/ (not at the top of the submission or in lib/): graded from there"]);
    expect(fs.readdirSync(tmp).length).toBe(before + 1); // the zip itself: nothing extracted
  });

  it("ignores entries with ../ or absolute paths (noted), and rejects links, encryption, unknown methods, bombs and bad checksums by file", () => {
    const bomb = Buffer.alloc(64 * MAX_FILE_BYTES, 0x20);
    const got = takeIn(
      zipFile([
        { name: "../../attention.ts", data: "evil" },
        { name: "/etc/tensors.ts", data: "evil" },
        { name: "C:\\temp\\tensors.ts", data: "evil" },
        { name: "lib/attention.ts", data: ATTN },
        { name: "lib/tensors.ts", data: "../../../solutions/tensors.ts", mode: 0o120777 },
        { name: "lib/multihead.ts", data: "x", flags: 0x1 },
        { name: "lib/blocks.ts", data: "x", method: 12 },
        { name: "lib/bert.ts", data: bomb, declaredSize: 100 },
        { name: "lib/gpt.ts", data: bomb },
        { name: "lib/vit.ts", data: "export const v = 1;\n", crc: 12345 },
      ]),
    );
    expect(got.notes).toContain("ignored 3 zip entries with a path outside the submission: ../../attention.ts, /etc/tensors.ts, C:\\temp\\tensors.ts");
    expect(got.files.get("attention")?.from).toBe("lib/attention.ts");
    expect(got.rejected.get("tensors")).toMatch(/^not graded: lib\/tensors\.ts is a symbolic link/);
    expect(got.rejected.get("multihead")).toBe("not graded: the zip entry lib/multihead.ts could not be read: it is encrypted");
    expect(got.rejected.get("blocks")).toMatch(/^not graded: the zip entry lib\/blocks\.ts could not be read: it is compressed with method 12, which the grader does not read/);
    expect(got.rejected.get("bert")).toBe(`not graded: the zip entry lib/bert.ts could not be read: it inflates to more than ${MAX_FILE_BYTES} bytes`);
    expect(got.rejected.get("gpt")).toBe(`not graded: lib/gpt.ts is ${64 * MAX_FILE_BYTES} bytes; an exercise file over ${MAX_FILE_BYTES} bytes is not graded`);
    expect(got.rejected.get("vit")).toBe("not graded: the zip entry lib/vit.ts could not be read: its checksum does not match (the zip is damaged)");
    expect(fs.existsSync(path.join(tmp, "..", "attention.ts"))).toBe(false);
  });

  it("rejects a damaged zip, one with too many entries, and a file that only looks like a zip, with the reason", () => {
    const good = makeZip([{ name: "attention.ts", data: ATTN }]);
    const truncated = path.join(tmp, `cut${n++}.zip`);
    fs.writeFileSync(truncated, good.subarray(0, good.length - 30));
    const cut = takeIn(truncated);
    expect(cut.files.size).toBe(0);
    expect(cut.rejected.get("attention")).toMatch(/^not graded: the submission cut\d+\.zip could not be read as a zip: it is not a zip file/);
    expect(cut.rejected.size).toBe(EXERCISE_MODULES.length);
    const many = takeIn(zipFile(Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => ({ name: `f/${i}.txt`, data: "", method: 0 }))));
    expect(many.rejected.get("tensors")).toMatch(new RegExp(`could not be read as a zip: it holds ${MAX_ENTRIES + 1} entries \\(more than ${MAX_ENTRIES}\\); submit only your lib/ folder$`));
    const fake = path.join(tmp, `fake${n++}.zip`);
    fs.writeFileSync(fake, "this is not a zip");
    expect(takeIn(fake).rejected.get("attention")).toMatch(/could not be read as a zip: it is not a zip file/);
  });
});

describe("a class delivered as folders and zips", () => {
  it("grades each subfolder and .zip, noting where files were found; every gradebook row checked", () => {
    const subs = path.join(tmp, "class");
    const reference = (m: string) => fs.readFileSync(path.join(SOLUTIONS_DIR, `${m}.ts`), "utf8").split("../lib/support/").join("./support/");
    fs.mkdirSync(path.join(subs, "ada", "lib"), { recursive: true });
    fs.writeFileSync(path.join(subs, "ada", "lib", "attention.ts"), reference("attention"));
    fs.writeFileSync(path.join(subs, "ben.zip"), makeZip([{ name: "ben/ben-hw1/lib/attention.ts", data: reference("attention") }, { name: "__MACOSX/ben/._attention.ts", data: "junk" }]));
    fs.mkdirSync(path.join(subs, "cat", "Homework"), { recursive: true });
    fs.writeFileSync(path.join(subs, "cat", "Homework", "answers.py"), "print(1)");
    fs.writeFileSync(path.join(subs, "dan.zip"), "not a zip at all");
    // A learning platform's download: a folder per student holding their upload.
    fs.mkdirSync(path.join(subs, "eve"));
    fs.writeFileSync(path.join(subs, "eve", "hw1.zip"), makeZip([{ name: "hw1/attention.ts", data: reference("attention") }]));
    fs.writeFileSync(path.join(subs, "README.txt"), "tutor's notes");
    const out = path.join(tmp, "class-out");
    const r = spawnSync(process.execPath, ["--require", REGISTER, CLI, "1.1", "1.3", "--submissions", subs, "--out", out, "--no-typecheck"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
      timeout: 300_000,
      maxBuffer: 32 << 20,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("ignored in");
    expect(r.stderr).toContain("(neither a folder nor a .zip): README.txt");
    const [header, ...rows] = fs.readFileSync(path.join(out, "gradebook.csv"), "utf8").trim().split("\n");
    expect(header).toBe("submission,1.1,1.3,total,flags");
    const full = EXERCISES.filter((e) => e.id === "1.1" || e.id === "1.3").reduce((s, e) => s + e.points, 0);
    expect(rows).toEqual([`ada,20,10,${full},`, `ben,20,10,${full},`, "cat,0,0,0,", "dan,0,0,0,", `eve,20,10,${full},`]);
    const feedback = (id: string) => fs.readFileSync(path.join(out, id, "feedback.txt"), "utf8");
    expect(feedback("ada")).not.toContain("Note:");
    expect(feedback("ben")).toContain("Note: exercise files found in ben/ben-hw1/lib/ (not at the top of the submission or in lib/): graded from there");
    expect(feedback("cat")).toContain("Note: no exercise files found anywhere in the submission");
    expect(feedback("cat")).toContain("it holds 1 entry at its top: Homework");
    expect(feedback("eve")).toContain("Note: exercise files found in hw1.zip/hw1/ (not at the top of the submission or in lib/): graded from there");
    expect(feedback("dan")).toContain("not graded: the submission dan.zip could not be read as a zip: it is not a zip file");
    // The class summary lists the submissions whose files need a look, and only those.
    const summary = fs.readFileSync(path.join(out, "summary.txt"), "utf8");
    expect(summary).toContain("Files (4): check these submissions hold what the student meant to submit");
    expect(summary).toMatch(/^ {2}cat: no exercise files found anywhere in the submission/m);
    expect(summary).toMatch(/^ {2}dan: not graded: the submission dan\.zip could not be read as a zip/m);
    expect(summary).not.toMatch(/^ {2}ada:/m);
    expect(fs.readFileSync(path.join(out, "summary.html"), "utf8")).toContain("<li><b>eve</b>: exercise files found in hw1.zip/hw1/");
    const results = JSON.parse(fs.readFileSync(path.join(out, "ben", "results.json"), "utf8")) as { score: number; output: string };
    expect(results.score).toBe(full);
    expect(results.output).toContain("Note: exercise files found in ben/ben-hw1/lib/");
  });
});
