import { hubToken } from "./hubToken.js";
import { ModelAccessError, ModelDownloadError } from "./modelErrors.js";

export interface DownloadOptions {
  /** What node-llama-cpp downloads: `hf:OWNER/REPO/PATH.gguf` (all the parts of a split GGUF) or a URL. */
  uri: string;
  dir: string;
  /** The (first) file's name in `dir`. */
  fileName: string;
  /** For the messages: the repo, when from the hub (a 401 names it and HF_TOKEN). */
  repo?: string;
  onProgress?: (downloaded: number, total: number) => void;
  signal?: AbortSignal;
}

/** What ipull's status-code errors carry. */
interface StatusError {
  statusCode: number;
  statusText?: string;
  url?: string;
}

function isStatusError(error: unknown): error is StatusError {
  return typeof (error as StatusError | null)?.statusCode === "number";
}

/**
 * Downloads into `dir` through node-llama-cpp's downloader (ipull): parallel ranged requests, and a resume from
 * the `.ipull` file of a download that stopped (its progress is kept at the end of that file). A file already there
 * whole is not fetched again. Resolves to the sizes the server stated; the caller verifies the bytes.
 */
export async function downloadModelFiles(options: DownloadOptions): Promise<Array<{ fileName: string; path: string; size: number }>> {
  // node-llama-cpp is imported here, not at the top: a command resolving a cached model never loads it for this
  const { createModelDownloader } = await import("node-llama-cpp");
  try {
    const downloader = await createModelDownloader({
      modelUri: options.uri,
      dirPath: options.dir,
      fileName: options.fileName,
      skipExisting: true,
      // an interrupted download keeps its bytes: the next pull resumes it
      deleteTempFileOnCancel: false,
      ...(options.onProgress ? { onProgress: ({ downloadedSize, totalSize }) => options.onProgress!(downloadedSize, totalSize) } : {}),
    });
    await downloader.download(options.signal ? { signal: options.signal } : {});
    // a download cancelled by the signal ends without an error: what it left is partial
    options.signal?.throwIfAborted();
    return downloader.filesInfo.map((file) => ({ fileName: file.fileName, path: file.filePath, size: file.totalSize }));
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (isStatusError(error)) {
      if ((error.statusCode === 401 || error.statusCode === 403) && options.repo !== undefined) throw new ModelAccessError(options.repo, error.statusCode, hubToken() !== undefined);
      throw new ModelDownloadError(`download of ${options.uri} failed: HTTP ${error.statusCode}${error.statusText ? ` ${error.statusText}` : ""}${error.url ? ` from ${error.url}` : ""}`, { cause: error });
    }
    throw new ModelDownloadError(`download of ${options.uri} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
}
