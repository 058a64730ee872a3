import { createHash, timingSafeEqual } from "node:crypto";
import { KeyLimiter } from "./KeyLimiter.js";
import type { ApiKeyEntry } from "./parseApiKeys.js";

interface Known {
  digest: Buffer;
  limiter: KeyLimiter;
}

/**
 * The keys the server accepts, each with its limiter. Keys are held and compared as SHA-256 digests, against every
 * key each time, so the time taken tells nothing of which key (or how much of one) matched. `replace` swaps the
 * set (a reloaded keys file): a name that stays keeps its counters, and its limiter state while its limits stay.
 */
export class ApiKeyRegistry {
  private known: Known[] = [];
  /** Every name ever served, with its limiter: metrics keep counting after a key is removed. */
  private readonly limiters = new Map<string, KeyLimiter>();

  constructor(
    entries: readonly ApiKeyEntry[],
    private readonly clock: () => number = Date.now,
  ) {
    this.replace(entries);
  }

  replace(entries: readonly ApiKeyEntry[]): void {
    this.known = entries.map((entry) => {
      const previous = this.limiters.get(entry.name);
      const same = previous && previous.entry.rpm === entry.rpm && previous.entry.tpm === entry.tpm;
      const limits = { name: entry.name, ...(entry.rpm ? { rpm: entry.rpm } : {}), ...(entry.tpm ? { tpm: entry.tpm } : {}) };
      const limiter = same ? previous : new KeyLimiter(limits, this.clock, previous?.counters);
      this.limiters.set(entry.name, limiter);
      return { digest: digest(entry.key), limiter };
    });
  }

  /** The limiter of the key `token` is, if it is one. */
  identify(token: string): KeyLimiter | undefined {
    const presented = digest(token);
    let found: KeyLimiter | undefined;
    for (const { digest, limiter } of this.known) if (timingSafeEqual(presented, digest) && !found) found = limiter;
    return found;
  }

  /** Every key name served so far, with its counters. */
  all(): KeyLimiter[] {
    return [...this.limiters.values()];
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
