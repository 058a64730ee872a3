import { existsSync, mkdirSync, renameSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { synthesizeLlamaModel, type SynthOptions } from "../../src/gguf/synthesizeLlamaModel.js";

/**
 * Bump when the generator's output changes: the files are kept across test runs, so that a suite does not write a
 * 17 MB model per test process into the temp folder (it used to, one folder per process, gigabytes a day).
 */
const GENERATION = "v1";

/**
 * A generated model of the tests, written once into a folder every test process shares (`file` names it; the same
 * options always give the same bytes) and renamed into place, so a concurrent writer never leaves a half-written file.
 */
export function generatedModel(file: string, options: Omit<SynthOptions, "out">): string {
  const dir = join(os.tmpdir(), `hermes-serve-test-models-${GENERATION}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  if (!existsSync(path)) {
    synthesizeLlamaModel({ ...options, out: `${path}.${process.pid}` });
    renameSync(`${path}.${process.pid}`, path);
  }
  return path;
}
