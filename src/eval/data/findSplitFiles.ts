import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { datasetLayout } from "./datasetLayout.js";
import { upstreamLayout } from "./upstreamLayout.js";

/**
 * The Parquet files of `task`'s split under `dataDir`, in name order: `<split>-*.parquet` in one of the task's
 * folders, or every `.parquet` file of a folder named after the split (the hub's `refs/convert/parquet` layout).
 * Throws an error naming the path expected when there are none.
 */
export function findSplitFiles(dataDir: string, task: string): string[] {
  const layout = datasetLayout[task];
  if (layout === undefined) throw new Error(`unknown task '${task}'`);
  const root = join(dataDir, layout.repo.replace("/", "__"));
  for (const folder of layout.folders) {
    const dir = join(root, folder);
    if (!existsSync(dir)) continue;
    const wholeFolder = folder.endsWith(`/${layout.split}`);
    const files = readdirSync(dir)
      .filter((name) => name.endsWith(".parquet") && (wholeFolder || name.startsWith(`${layout.split}-`)))
      .sort();
    if (files.length > 0) return files.map((name) => join(dir, name));
  }
  const upstream = upstreamLayout[task];
  throw new Error(
    `no data for ${task}: expected ${join(root, layout.folders[0]!, `${layout.split}-00000-of-00001.parquet`)} ` +
      `(the Hugging Face dataset ${layout.repo}, split ${layout.split})` +
      (upstream ? `, or ${join(dataDir, upstream.paths[0]!)} (${upstream.origin})` : ""),
  );
}
