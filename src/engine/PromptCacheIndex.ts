import { commonPrefixLength } from "./pickSlot.js";

/** What the index knows of a kept state. */
export interface IndexedState {
  /** The tokens the state holds, in order. */
  readonly tokens: readonly number[];
  /** Size of the state (llama.cpp's sequence state file). */
  readonly bytes: number;
  /** Clock of its last save or restore: the least recent is evicted first. */
  lastUsed: number;
}

/**
 * The prompt cache's entries and the choices made on them, without I/O: the longest match for a prompt, whether a
 * state is already kept, which entries a new one supersedes, and which to evict to stay within a byte bound.
 */
export class PromptCacheIndex<E extends IndexedState> {
  private readonly entries = new Set<E>();

  get size(): number {
    return this.entries.size;
  }

  all(): E[] {
    return [...this.entries];
  }

  add(entry: E): void {
    this.entries.add(entry);
  }

  remove(entry: E): void {
    this.entries.delete(entry);
  }

  /**
   * The entry sharing the longest prefix with `tokens` (ties: the smaller state, cheaper to restore), and that
   * prefix's length; undefined when none shares a token.
   */
  longestMatch(tokens: readonly number[]): { entry: E; shared: number } | undefined {
    let best: { entry: E; shared: number } | undefined;
    for (const entry of this.entries) {
      const shared = commonPrefixLength(entry.tokens, tokens);
      if (shared > 0 && (best === undefined || shared > best.shared || (shared === best.shared && entry.bytes < best.entry.bytes))) {
        best = { entry, shared };
      }
    }
    return best;
  }

  /** Whether an entry holds all of `tokens` (and perhaps more): keeping them again would add nothing. */
  holds(tokens: readonly number[]): boolean {
    for (const entry of this.entries) if (entry.tokens.length >= tokens.length && commonPrefixLength(entry.tokens, tokens) === tokens.length) return true;
    return false;
  }

  /** Entries whose tokens all begin `tokens`: a state holding `tokens` restores whatever they would. */
  supersededBy(tokens: readonly number[]): E[] {
    return [...this.entries].filter((entry) => entry.tokens.length <= tokens.length && commonPrefixLength(entry.tokens, tokens) === entry.tokens.length);
  }

  /**
   * The entries to take out of a tier, least recently used first, so that the bytes of those left in it
   * (`inTier`) are at most `bound`.
   */
  overflow(inTier: (entry: E) => boolean, bound: number): E[] {
    const held = [...this.entries].filter(inTier).sort((a, b) => a.lastUsed - b.lastUsed);
    let bytes = held.reduce((sum, entry) => sum + entry.bytes, 0);
    const evicted: E[] = [];
    for (const entry of held) {
      if (bytes <= bound) break;
      evicted.push(entry);
      bytes -= entry.bytes;
    }
    return evicted;
  }
}
