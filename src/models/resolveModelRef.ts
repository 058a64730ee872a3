import { existsSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { defaultModelsDir } from "./defaultModelsDir.js";
import { downloadModelFiles } from "./downloadModelFiles.js";
import { formatBytes } from "./formatBytes.js";
import { HubClient } from "./HubClient.js";
import type { HubFile } from "./HubFile.js";
import { HubUnreachableError, ModelChecksumError, ModelNotCachedError, ModelRefError } from "./modelErrors.js";
import type { ModelRecord } from "./ModelRecord.js";
import { ModelStore, type CachedModel } from "./ModelStore.js";
import { parseModelRef, type ModelRef } from "./parseModelRef.js";
import { probeUrl } from "./probeUrl.js";
import { quantizationOf } from "./quantizationOf.js";
import { selectRepoFiles } from "./selectRepoFiles.js";
import { sha256File } from "./sha256File.js";

export interface ResolveProgress {
  phase: "download" | "verify";
  /** Bytes downloaded (counting what an earlier, interrupted run fetched) or hashed so far, of `total`. */
  done: number;
  total: number;
}

export interface ResolveModelOptions {
  modelsDir: string;
  /** Resolve from the cache only (also when `HF_HUB_OFFLINE` is set). */
  offline?: boolean;
  onProgress?: (progress: ResolveProgress) => void;
  /** One line each: what is fetched from where. */
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
  /** The flag's noun in "… file not found: X" (default "model"). */
  what?: string;
}

export interface ResolvedModel {
  /** The file llama.cpp loads: the path given, or the cached (first) file. */
  path: string;
  ref: ModelRef;
  /** Set for a model of the store (found there, or just downloaded and verified). */
  cached?: CachedModel;
  downloaded: boolean;
}

function offlineByEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(1|on|yes|true)$/i.test(env.HF_HUB_OFFLINE ?? "");
}

type RemoteRef = Exclude<ModelRef, { kind: "path" }>;

/**
 * The one entry point from a model reference to a local file: an existing path as it is; a reference found whole in
 * the store without any network call (so a cached model starts at once, offline too); otherwise, unless offline,
 * downloaded into the store's staging folder, checked against the sizes and SHA-256s the hub states, and only then
 * moved into the store. A file that does not check out is deleted, never returned.
 */
export async function resolveModelRef(text: string, options: ResolveModelOptions): Promise<ResolvedModel> {
  if (existsSync(text)) return { path: text, ref: { kind: "path", path: text }, downloaded: false };
  let ref: ModelRef;
  try {
    ref = parseModelRef(text);
  } catch (error) {
    throw new ModelRefError((error as Error).message);
  }
  if (ref.kind === "path") throw new ModelRefError(`${options.what ?? "model"} file not found: ${text}`);
  const store = new ModelStore(options.modelsDir);
  const cached = store.find(ref);
  if (cached) return { path: cached.path, ref, cached, downloaded: false };
  const pullHint = `run 'hermes pull ${ref.text}${options.modelsDir === defaultModelsDir() ? "" : ` --models-dir ${options.modelsDir}`}' where the network is reachable`;
  if (options.offline || offlineByEnv(process.env)) {
    throw new ModelNotCachedError(`${ref.text} is not in the model cache (${options.modelsDir}) and downloads are off (${options.offline ? "--offline" : "HF_HUB_OFFLINE"}): ${pullHint}`);
  }
  try {
    const model = await fetchModel(ref, store, options);
    return { path: model.path, ref, cached: model, downloaded: true };
  } catch (error) {
    if (error instanceof HubUnreachableError) throw new ModelNotCachedError(`${error.message}, and ${ref.text} is not in the model cache (${options.modelsDir}): ${pullHint}`, { cause: error });
    throw error;
  }
}

async function fetchModel(ref: RemoteRef, store: ModelStore, options: ResolveModelOptions): Promise<CachedModel> {
  const onDownload = options.onProgress ? (done: number, total: number) => options.onProgress!({ phase: "download", done, total }) : undefined;
  if (ref.kind === "url") {
    const stated = await probeUrl(ref.url, options.signal);
    const source: ModelRecord["source"] = { kind: "url", url: ref.url };
    const entryPath = ModelStore.entryPath(source);
    const dir = store.stagingDir(entryPath);
    options.onNotice?.(`downloading ${ref.url}${stated.size !== undefined ? ` (${formatBytes(stated.size)})` : ""} into ${store.dir}`);
    const [file] = await downloadModelFiles({ uri: ref.url, dir, fileName: basename(entryPath), ...(onDownload ? { onProgress: onDownload } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    const staged = join(dir, basename(entryPath));
    const size = stated.size ?? (file && file.size > 0 ? file.size : undefined);
    if (size !== undefined) checkSize(staged, size, ref.url);
    const record: ModelRecord = {
      ref: ref.url,
      source,
      ...(quantizationOf(basename(entryPath)) ? { quantization: quantizationOf(basename(entryPath))! } : {}),
      files: [{ name: basename(entryPath), size: statSync(staged).size }],
      checked: size !== undefined ? "size" : "none",
      verifiedAt: new Date().toISOString(),
    };
    return store.commit(record, entryPath, [staged]);
  }

  const hub = new HubClient();
  const listing = await hub.repoFiles(ref.repo, options.signal);
  const files = selectRepoFiles(ref.repo, listing, ref.kind === "hf-quant" ? { quant: ref.quant } : { file: ref.file });
  const first = files[0]!;
  const source: ModelRecord["source"] = { kind: "hf", endpoint: hub.endpoint, repo: ref.repo, file: first.path };
  const entryPath = ModelStore.entryPath(source);
  const dir = store.stagingDir(entryPath);
  const names = files.map((file) => basename(file.path));
  const total = files.reduce((sum, file) => sum + file.size, 0);
  options.onNotice?.(
    `downloading ${ref.text}: ${files.length > 1 ? `${files.length} parts of ` : ""}${first.path} (${formatBytes(total)}) from ${hub.endpoint}${ref.repo} into ${store.dir}`,
  );
  await downloadModelFiles({
    uri: `hf:${ref.repo}/${first.path}`,
    dir,
    fileName: names[0]!,
    repo: ref.repo,
    ...(onDownload ? { onProgress: onDownload } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const staged = names.map((name) => join(dir, name));
  await verifyAgainstHub(files, staged, options);
  const quantization = ref.kind === "hf-quant" ? ref.quant : quantizationOf(first.path);
  const record: ModelRecord = {
    ref: ref.text,
    source,
    ...(quantization ? { quantization } : {}),
    files: files.map((file, i) => ({ name: names[i]!, size: file.size, ...(file.sha256 ? { sha256: file.sha256 } : {}) })),
    checked: files.every((file) => file.sha256) ? "sha256" : "size",
    verifiedAt: new Date().toISOString(),
  };
  return store.commit(record, entryPath, staged);
}

/** Size, then SHA-256 of each file against the hub's; a file that fails is deleted (its download starts over). */
async function verifyAgainstHub(files: HubFile[], staged: string[], options: ResolveModelOptions): Promise<void> {
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let before = 0;
  for (const [i, file] of files.entries()) {
    const path = staged[i]!;
    checkSize(path, file.size, file.path);
    if (file.sha256) {
      const offset = before;
      const actual = await sha256File(path, options.onProgress ? (bytes) => options.onProgress!({ phase: "verify", done: offset + bytes, total }) : undefined, options.signal);
      if (actual !== file.sha256) {
        rmSync(path, { force: true });
        throw new ModelChecksumError(
          `${file.path}: SHA-256 ${actual}, but the hub states ${file.sha256}: the download is corrupt and was deleted; the next pull downloads it again`,
        );
      }
    }
    before += file.size;
  }
}

function checkSize(path: string, expected: number, what: string): void {
  const actual = statSync(path).size;
  if (actual !== expected) {
    rmSync(path, { force: true });
    throw new ModelChecksumError(`${what}: ${actual} bytes downloaded, but ${expected} stated: the download is incomplete or corrupt and was deleted; the next pull downloads it again`);
  }
}
