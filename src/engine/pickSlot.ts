import type { SlotPhase } from "./nextPhase.js";

/** What the scheduler knows of a slot when it places a request. */
export interface SlotView {
  phase: SlotPhase;
  /** The tokens the slot's KV cache holds, in order. */
  cachedTokens: readonly number[];
  /** Admission clock of the slot's last request (0 = never used). */
  lastUsed: number;
}

export interface SlotChoice {
  /** Index of the idle slot the request runs on. */
  slot: number;
  /** Prompt tokens that slot already holds. */
  reused: number;
  /** A slot (busy or idle) holding a longer prefix of the prompt, to copy KV cells from instead of recomputing. */
  copy?: { from: number; tokens: number };
}

/** Length of the common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * Places a request: the idle slot whose cache shares the longest prefix with the prompt (ties: least recently
 * used), unless that prefix is shorter than `minCopyTokens`: then the least recently used idle slot, whose state is
 * the least likely to be wanted again (an empty one first), rather than a slot that shares a few tokens; and, when
 * any slot holds at least `minCopyTokens` more of the prompt than the chosen one, a copy from the one holding the
 * most. The prompt's last token is never reused: it must be evaluated to sample the first token.
 * Returns undefined when no slot is idle.
 */
export function pickSlot(slots: readonly SlotView[], prompt: readonly number[], minCopyTokens: number): SlotChoice | undefined {
  const usable = prompt.slice(0, -1);
  let best: SlotChoice | undefined;
  let bestLastUsed = Infinity;
  let oldest: SlotChoice | undefined;
  let oldestLastUsed = Infinity;
  let donor: { from: number; tokens: number } | undefined;
  slots.forEach((slot, index) => {
    const shared = commonPrefixLength(slot.cachedTokens, usable);
    if (slot.phase === "idle" && (best === undefined || shared > best.reused || (shared === best.reused && slot.lastUsed < bestLastUsed))) {
      best = { slot: index, reused: shared };
      bestLastUsed = slot.lastUsed;
    }
    if (slot.phase === "idle" && slot.lastUsed < oldestLastUsed) {
      oldest = { slot: index, reused: shared };
      oldestLastUsed = slot.lastUsed;
    }
    if (donor === undefined || shared > donor.tokens) donor = { from: index, tokens: shared };
  });
  if (best === undefined) return undefined;
  if (best.reused < minCopyTokens) best = oldest!;
  if (donor !== undefined && donor.from !== best.slot && donor.tokens - best.reused >= minCopyTokens) {
    return { ...best, copy: donor };
  }
  return best;
}
