/** Checkpoints: round trip, and a clear error (naming the file and the rebuild command) for every way a file can be wrong. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../../lib/support/backend";
import { hasCheckpoint, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from "../../lib/support/checkpoints";
import { disposeParams, namedVariables, newEncoderLayer, SeedSequence } from "../../lib/support/models/params";

beforeAll(async () => {
  await setupBackend("wasm", { quiet: true });
});

describe("checkpoints", () => {
  const meta = { command: "npm run train -- demo", seed: 3, steps: 10, seconds: 1.5, metrics: { loss: 0.25 }, config: { d: 8 } };
  const fresh = (seed: number) => newEncoderLayer(8, 2, 16, new SeedSequence(seed));

  it("round-trips every variable by name, and records what made it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-ckpt-"));
    const a = fresh(1);
    const b = fresh(2);
    saveCheckpoint("demo", namedVariables(a), meta, dir);
    expect(hasCheckpoint("demo", dir)).toBe(true);
    const loaded = loadCheckpoint("demo", namedVariables(b), { config: { d: 8 }, dir });
    expect(loaded.metrics).toEqual({ loss: 0.25 });
    expect(loaded.tensors.map((t) => t.name)).toContain("selfAttn.wq");
    for (const [i, { variable }] of namedVariables(a).entries()) {
      expect(Array.from(namedVariables(b)[i].variable.dataSync())).toEqual(Array.from(variable.dataSync()));
    }
    disposeParams([a, b]);
  });

  it("explains a missing, corrupt or mismatched checkpoint", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-ckpt-"));
    const a = fresh(1);
    expect(() => loadCheckpoint("demo", namedVariables(a), { dir })).toThrow(/demo\.json is missing; rebuild it with: npm run train -- demo/);
    saveCheckpoint("demo", namedVariables(a), meta, dir);
    expect(() => loadCheckpoint("demo", namedVariables(a), { dir, config: { d: 16 } })).toThrow(/trained with config \{"d":8\}, not \{"d":16\}/);
    const other = newEncoderLayer(8, 2, 32, new SeedSequence(5));
    expect(() => loadCheckpoint("demo", namedVariables(other), { dir })).toThrow(/tensor "ffn.w1" is \[8,16\], the model's is \[8,32\]/);
    expect(() => loadCheckpoint("demo", [...namedVariables(a), { name: "extra", variable: tf.variable(tf.zeros([2])) }], { dir })).toThrow(/has no tensor "extra"/);
    const bin = path.join(dir, "demo.bin");
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
    expect(() => loadCheckpoint("demo", namedVariables(a), { dir })).toThrow(/demo\.bin does not match its checksum .*npm run train -- demo/);
    fs.writeFileSync(path.join(dir, "demo.json"), "{ not json");
    expect(() => readCheckpointMeta("demo", dir)).toThrow(/demo\.json is not valid JSON/);
    expect(() => readCheckpointMeta("../etc", dir)).toThrow(/lower-case words/);
    disposeParams([a, other]);
  });
});
