import { copySequencePrefix } from "./copySequencePrefix.js";
import type { KeptState, PromptCache } from "./PromptCache.js";
import type { Slot } from "./Slot.js";
import type { SchedulerCounters } from "./types.js";

/** Where the reusable part of a prompt comes from, besides what its slot holds. */
export type PromptSeed = { copy: { from: Slot; tokens: number } } | { restore: { cache: PromptCache; state: KeptState } };

/**
 * Puts the reusable part of the prompt of the job admitted to `slot` in its KV cache, between two steps: a tainted
 * slot is cleared first; `seed` fills it with another slot's cells (`pickSlot`'s copy) or a kept state (the
 * prompt cache's); then the cache is trimmed to the prefix it shares with the prompt, whose tokens are the job's
 * `cached_tokens`. A seed that fails leaves the prompt to be computed. A job with prompt logprobs needs every prompt
 * position's output, so it starts from an empty cache. Throws what llama.cpp throws.
 */
export async function placeJob(slot: Slot, seed: PromptSeed | undefined, counters: SchedulerCounters): Promise<void> {
  const running = slot.running!;
  const job = running.job;
  if (slot.tainted || job.promptLogprobs !== undefined) {
    await slot.sequence.clearHistory();
    slot.tainted = false;
  }
  if (job.promptLogprobs === undefined) {
    if (seed !== undefined && "copy" in seed) {
      if (await copySequencePrefix(slot.sequence, seed.copy.from.sequence, seed.copy.tokens)) counters.copiedTokens += seed.copy.tokens;
      await slot.sequence.adaptStateToTokens(job.prompt.slice(0, -1), false);
    } else if (seed !== undefined) {
      const restored = await seed.restore.cache.restore(slot.sequence, seed.restore.state);
      await slot.sequence.adaptStateToTokens(job.prompt.slice(0, -1), false);
      if (restored) counters.restoredTokens += slot.sequence.nextTokenIndex;
    } else {
      await slot.sequence.adaptStateToTokens(job.prompt.slice(0, -1), false);
    }
  }
  running.evaluated = running.cachedTokens = slot.sequence.nextTokenIndex;
  counters.promptTokens += job.prompt.length;
  counters.cachedTokens += running.cachedTokens;
}
