import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { UpstreamSource } from "./upstreamLayout.js";

/**
 * The rows of a task's upstream jsonl under `dataDir`, in the hub dataset's fields, or undefined when none of its
 * paths exists. A line that is not JSON, or a labels file whose length differs, is an error naming the file.
 */
export function readUpstreamRows(dataDir: string, source: UpstreamSource): { file: string; rows: Array<Record<string, unknown>> } | undefined {
  const file = source.paths.map((path) => join(dataDir, path)).find((path) => existsSync(path));
  if (file === undefined) return undefined;
  const lines = readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "");
  const objects = lines.map((line, index) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${file}, line ${index + 1}: not a JSON object (is this the jsonl file?)`);
    }
  });
  let labels: string[] | undefined;
  if (source.labels !== undefined) {
    const labelsFile = join(dirname(file), source.labels);
    if (!existsSync(labelsFile)) throw new Error(`${file} needs its labels next to it: ${labelsFile} is missing`);
    labels = readFileSync(labelsFile, "utf8").split("\n").map((line) => line.trim()).filter((line) => line !== "");
    if (labels.length !== objects.length) throw new Error(`${labelsFile} has ${labels.length} labels for the ${objects.length} rows of ${file}`);
  }
  return { file, rows: objects.map((row, index) => source.toRow(row, labels?.[index])) };
}
