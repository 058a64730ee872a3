import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ModelStore } from "./ModelStore.js";
import { splitPartOf } from "./splitParts.js";

/** The store's own subfolders: what is in them is a model only once its record says so. */
const STORE_FOLDERS = new Set(["hf", "url", ".partial"]);

/**
 * Every model a server of `dir` (`hermes serve --models-dir DIR`) serves, as llama-server's router finds them: the
 * models pulled into it (verified, with their record), and the GGUF files put there by hand, at its top level or one
 * folder down (a split model's folder), a split model by its first part. Sorted by path, so the order is stable.
 */
export function modelsInFolder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const pulled = new ModelStore(dir).list().map((model) => model.path);
  const placed: string[] = [];
  const look = (folder: string, depth: number): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && depth === 0 && !STORE_FOLDERS.has(entry.name)) look(path, 1);
      else if (entry.isFile() && /\.gguf$/i.test(entry.name) && (splitPartOf(entry.name)?.part ?? 1) === 1) placed.push(path);
    }
  };
  look(dir, 0);
  return [...pulled, ...placed].sort();
}
