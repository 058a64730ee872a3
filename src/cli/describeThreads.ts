import type { ThreadsInfo } from "../engine/ThreadsInfo.js";

/**
 * The thread counts for a ready line: the count of each kind of batch, how they were chosen, and with
 * `--threads auto` the medians measured at each count tried (tok/s; "–" where a count was not measured on that).
 * `streams` is the number of slots (one slot has no batches of several streams).
 */
export function describeThreads(info: ThreadsInfo, streams: number): string {
  const several = streams > 1;
  const counts = several
    ? `threads ${info.decode} for 1 stream, ${info.slots} for ${streams}, ${info.batch} for prompts`
    : `threads ${info.decode} for decoding, ${info.batch} for prompts`;
  if (info.mode === "fixed") return `${counts} (fixed)`;
  const rate = (value: number | undefined): string => (value === undefined ? "–" : value.toFixed(0));
  const header = several ? `1 stream / ${streams} streams / prompt` : "decode / prompt";
  const rows = info.measured.map(
    (row) => `${row.threads}: ${[row.decodeTokS, ...(several ? [row.slotsDecodeTokS] : []), row.prefillTokS].map(rate).join(" / ")}`,
  );
  return `${counts} (auto, measured in ${((info.probeMs ?? 0) / 1000).toFixed(1)} s; tok/s ${header} by threads: ${rows.join(", ")})`;
}
