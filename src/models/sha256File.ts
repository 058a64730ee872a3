import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Read size per step: large reads keep hashing at disk speed with one libuv worker (UV_THREADPOOL_SIZE=1). */
const READ_BYTES = 8 * 2 ** 20;

/** The SHA-256 of a file, hex; `onBytes` gets the bytes hashed so far. */
export async function sha256File(path: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_BYTES, ...(signal ? { signal } : {}) })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onBytes?.(done);
  }
  return hash.digest("hex");
}
