import type { HubFile } from "./HubFile.js";
import { NoSuchModelFileError } from "./modelErrors.js";
import { quantizationOf } from "./quantizationOf.js";
import { splitPartNames, splitPartOf } from "./splitParts.js";

/**
 * The files to fetch for a reference into a repo: the named file, or the GGUF whose name carries the quantization;
 * for a split GGUF every part, in order. Pure: `files` is the repo's listing from the hub.
 */
export function selectRepoFiles(repo: string, files: readonly HubFile[], want: { quant: string } | { file: string }): HubFile[] {
  const ggufs = files.filter((file) => file.path.toLowerCase().endsWith(".gguf"));
  if (ggufs.length === 0) throw new NoSuchModelFileError(`${repo} holds no GGUF file`);
  let first: HubFile;
  if ("file" in want) {
    const found = ggufs.find((file) => file.path === want.file);
    if (!found) throw new NoSuchModelFileError(`${repo} has no file ${want.file}; its GGUF files: ${ggufs.map((file) => file.path).join(", ")}`);
    first = found;
  } else {
    const matching = ggufs.filter((file) => quantizationOf(file.path) === want.quant);
    // the parts of one split GGUF are one candidate: its first part stands for it
    const candidates = matching.filter((file) => (splitPartOf(file.path)?.part ?? 1) === 1);
    if (candidates.length === 0) {
      const quants = [...new Set(ggufs.map((file) => quantizationOf(file.path)).filter((quant) => quant !== undefined))].sort();
      throw new NoSuchModelFileError(
        `${repo} has no GGUF with quantization ${want.quant}; the repo has: ${quants.length > 0 ? quants.join(", ") : `no quantization in its file names (${ggufs.map((file) => file.path).join(", ")})`}`,
      );
    }
    if (candidates.length > 1) {
      throw new NoSuchModelFileError(`${repo} has ${candidates.length} GGUFs with quantization ${want.quant}: name one, hf:${repo}/${candidates.map((file) => file.path).join(` or hf:${repo}/`)}`);
    }
    first = candidates[0]!;
  }
  const names = splitPartNames(first.path);
  return names.map((name) => {
    const part = ggufs.find((file) => file.path === name);
    if (!part) throw new NoSuchModelFileError(`${repo}: ${first.path} is split in ${names.length} parts, but ${name} is missing from the repo`);
    return part;
  });
}
