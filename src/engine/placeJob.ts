import { copySequencePrefix } from "./copySequencePrefix.js";
import type { Slot } from "./Slot.js";
import type { SchedulerCounters } from "./types.js";

/**
 * Puts the reusable part of the prompt of the job admitted to `slot` in its KV cache, between two steps: a tainted
 * slot is cleared first; `copy` (from `pickSlot`) seeds it with another slot's cells; then the cache is trimmed to
 * the prefix it shares with the prompt, whose tokens are the job's `cached_tokens`. A job with prompt logprobs needs
 * every prompt position's output, so it starts from an empty cache. Throws what llama.cpp throws.
 */
export async function placeJob(slot: Slot, copy: { from: Slot; tokens: number } | undefined, counters: SchedulerCounters): Promise<void> {
  const running = slot.running!;
  const job = running.job;
  if (slot.tainted || job.promptLogprobs !== undefined) {
    await slot.sequence.clearHistory();
    slot.tainted = false;
  }
  if (job.promptLogprobs === undefined) {
    if (copy !== undefined && (await copySequencePrefix(slot.sequence, copy.from.sequence, copy.tokens))) counters.copiedTokens += copy.tokens;
    await slot.sequence.adaptStateToTokens(job.prompt.slice(0, -1), false);
  }
  running.evaluated = running.cachedTokens = slot.sequence.nextTokenIndex;
  counters.promptTokens += job.prompt.length;
  counters.cachedTokens += running.cachedTokens;
}
