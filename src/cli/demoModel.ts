import { existsSync, mkdirSync, renameSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { synthesizeLlamaModel } from "../gguf/synthesizeLlamaModel.js";

/** Generates (once per temp dir) the tiny model `--demo` serves: random weights, so its text is noise. */
export function demoModel(): string {
  const dir = join(os.tmpdir(), "hermes-serve");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "demo-tiny-f32-v1.gguf");
  if (!existsSync(path)) {
    synthesizeLlamaModel({ shape: "tiny", type: "f32", out: `${path}.${process.pid}`, seed: 1, name: "hermes-demo" });
    // rename into place so a concurrent start never loads a half-written file
    renameSync(`${path}.${process.pid}`, path);
  }
  return path;
}
