import { numberFlag } from "./numberFlag.js";

/** Help text of the two flags, shared by the commands that load a model; `note` is a line more about --threads. */
export function threadsUsage(note: string): string {
  return `  --threads N|auto    CPU threads (default auto: measured at start on the loaded model, within a few
                      seconds, for one stream decoding, several, and prompts; N fixes them all)
                      ${note}
  --threads-batch N   CPU threads for batches of several tokens: prompts, several streams (default: --threads)`;
}

/**
 * `--threads auto|N` and `--threads-batch N` as the engine takes them (absent: the engine's default, auto; `fallback`
 * stands in for an absent --threads), or an error naming the flag.
 */
export function threadsFlags(
  threads: string | undefined,
  threadsBatch: string | undefined,
  fallback?: number,
): { threads?: number | "auto"; threadsBatch?: number } {
  if (threads !== undefined && threads !== "auto" && !/^[1-9]\d*$/.test(threads)) throw new Error("--threads must be auto or a positive integer");
  const count = threads === undefined ? fallback : threads === "auto" ? "auto" : Number(threads);
  const batch = numberFlag(threadsBatch, "--threads-batch", "positive");
  return { ...(count !== undefined ? { threads: count } : {}), ...(batch !== undefined ? { threadsBatch: batch } : {}) };
}
