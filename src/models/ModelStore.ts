import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { ModelRecord } from "./ModelRecord.js";
import type { ModelRef } from "./parseModelRef.js";
import { quantizationOf } from "./quantizationOf.js";
import { splitPartNames } from "./splitParts.js";

/** A model in the store whose files are all there, at the sizes recorded when they were verified. */
export interface CachedModel {
  record: ModelRecord;
  /** The first (or only) file: what llama.cpp loads. */
  path: string;
  paths: string[];
  bytes: number;
}

/** A download in the staging folder that has not completed, or completed and not yet been verified. */
export interface PartialDownload {
  path: string;
  bytes: number;
}

const RECORD_SUFFIX = ".hermes.json";
const STAGING = ".partial";

/** A path segment safe on any file system (a URL's path may hold anything). */
function safeSegment(segment: string): string {
  const cleaned = segment.replace(/[^\w.-]/g, "_");
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : cleaned;
}

/**
 * The models folder: `hf/OWNER/REPO/PATH` for a hub file, `url/HOST/PATH` for a URL's, each model's record beside
 * its first file (`FILE.hermes.json`), downloads in progress under `.partial/` with the same layout. Only a model
 * with its record and every file at its recorded size is found or listed: a file is moved out of `.partial/` after
 * it checked out, and the record, written last, is what makes it usable.
 */
export class ModelStore {
  constructor(readonly dir: string) {}

  /** The folder-relative path of a model's first file, for the source it comes from. */
  static entryPath(source: ModelRecord["source"]): string {
    if (source.kind === "hf") return join("hf", ...source.repo.split("/").map(safeSegment), ...source.file.split("/").map(safeSegment));
    const url = new URL(source.url);
    return join("url", safeSegment(url.host), ...url.pathname.split("/").filter((part) => part !== "").map((part) => safeSegment(decodeURIComponent(part))));
  }

  /** Where the files of the entry at `entryPath` are downloaded before they are verified. */
  stagingDir(entryPath: string): string {
    return join(this.dir, STAGING, dirname(entryPath));
  }

  /** The models whose files are all present at their recorded sizes, sorted by reference. */
  list(): CachedModel[] {
    const found: CachedModel[] = [];
    for (const recordPath of this.walk(this.dir, (name) => name.endsWith(RECORD_SUFFIX), true)) {
      const model = this.read(recordPath);
      if (model) found.push(model);
    }
    return found.sort((a, b) => a.record.ref.localeCompare(b.record.ref));
  }

  /** Downloads not completed or not verified yet (resumed by the next pull of their model). */
  partials(): PartialDownload[] {
    const staging = join(this.dir, STAGING);
    return this.walk(staging, () => true, false).map((path) => ({ path, bytes: statSync(path).size }));
  }

  /** The cached model `ref` names, if the store holds it whole. */
  find(ref: Exclude<ModelRef, { kind: "path" }>): CachedModel | undefined {
    return this.list().find((model) => matches(model.record, ref));
  }

  /** Every cached model `ref` names (a path names the model whose file it is), for `hermes rm`. */
  matching(ref: ModelRef): CachedModel[] {
    return this.list().filter((model) => (ref.kind === "path" ? model.paths.includes(resolve(ref.path)) : matches(model.record, ref)));
  }

  /**
   * Moves verified files from staging into place and writes the record, the last step: until it exists the model
   * is not found. `staged` are the files in the record's order.
   */
  commit(record: ModelRecord, entryPath: string, staged: string[]): CachedModel {
    const finalDir = join(this.dir, dirname(entryPath));
    mkdirSync(finalDir, { recursive: true });
    staged.forEach((path, i) => renameSync(path, join(finalDir, record.files[i]!.name)));
    const recordPath = join(finalDir, `${record.files[0]!.name}${RECORD_SUFFIX}`);
    writeFileSync(`${recordPath}.${process.pid}`, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(`${recordPath}.${process.pid}`, recordPath);
    this.prune(this.stagingDir(entryPath), this.dir);
    const model = this.read(recordPath);
    if (!model) throw new Error(`${recordPath}: the model's files changed while it was being stored`);
    return model;
  }

  /** Deletes a cached model's files and record. */
  remove(model: CachedModel): void {
    for (const path of model.paths) rmSync(path, { force: true });
    const recordPath = `${model.path}${RECORD_SUFFIX}`;
    rmSync(recordPath, { force: true });
    this.prune(dirname(model.path), this.dir);
  }

  private read(recordPath: string): CachedModel | undefined {
    let record: ModelRecord;
    try {
      record = JSON.parse(readFileSync(recordPath, "utf8")) as ModelRecord;
    } catch {
      return undefined;
    }
    if (!Array.isArray(record.files) || record.files.length === 0) return undefined;
    const dir = dirname(recordPath);
    const paths = record.files.map((file) => join(dir, file.name));
    const intact = record.files.every((file, i) => {
      try {
        return statSync(paths[i]!).size === file.size;
      } catch {
        return false;
      }
    });
    if (!intact) return undefined;
    return { record, path: paths[0]!, paths, bytes: record.files.reduce((sum, file) => sum + file.size, 0) };
  }

  /** Files under `root` whose name passes `keep` (the staging folder skipped when `skipStaging`). */
  private walk(root: string, keep: (name: string) => boolean, skipStaging: boolean): string[] {
    if (!existsSync(root)) return [];
    const out: string[] = [];
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      const path = join(root, entry.name);
      if (entry.isDirectory()) {
        if (!(skipStaging && root === this.dir && entry.name === STAGING)) out.push(...this.walk(path, keep, skipStaging));
      } else if (entry.isFile() && keep(entry.name)) {
        out.push(path);
      }
    }
    return out;
  }

  /** Removes `from` and its parents while they are empty, up to (not including) `root`. */
  private prune(from: string, root: string): void {
    for (let dir = from; dir.startsWith(root + sep) && relative(root, dir) !== ""; dir = dirname(dir)) {
      try {
        rmdirSync(dir);
      } catch {
        return;
      }
    }
  }
}

function matches(record: ModelRecord, ref: Exclude<ModelRef, { kind: "path" }>): boolean {
  const source = record.source;
  if (ref.kind === "url") return source.kind === "url" && source.url === ref.url;
  if (source.kind !== "hf" || source.repo.toLowerCase() !== ref.repo.toLowerCase()) return false;
  if (ref.kind === "hf-quant") return (record.quantization ?? quantizationOf(source.file)) === ref.quant;
  return splitPartNames(ref.file)[0] === source.file;
}
