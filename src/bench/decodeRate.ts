import type { StreamTiming } from "./streamRequest.js";

/** A stream's decode rate, tokens/s: between its first and its last text chunk (the prompt's time left out). */
export function decodeRate(timing: StreamTiming): number {
  const first = timing.textAt[0]!;
  const last = timing.textAt.at(-1)!;
  return (1000 * (timing.completionTokens - 1)) / (last - first);
}
