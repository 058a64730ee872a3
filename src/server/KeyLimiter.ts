import type { GenerationOutcome } from "../serving/GenerationObserver.js";
import { goDuration } from "./goDuration.js";
import type { ApiKeyEntry } from "./parseApiKeys.js";
import { RateLimitExceededError } from "./RateLimitExceededError.js";
import { TokenBucket } from "./TokenBucket.js";

const MINUTE_MS = 60_000;

/** What one key has used since the server started (for `/metrics`). */
export interface KeyCounters {
  requests: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * One key's limits and counters: a request takes one unit of its requests per minute when it arrives, a generation
 * reserves its largest use of tokens per minute at admission, and settles to what it used when it ends. Pure: the
 * clock is passed in.
 */
export class KeyLimiter {
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;

  constructor(
    readonly entry: Omit<ApiKeyEntry, "key">,
    private readonly clock: () => number,
    /** The counters to add to: a key whose limits change on reload keeps its predecessor's, shared with the requests still running under it. */
    readonly counters: KeyCounters = { requests: 0, rateLimited: 0, promptTokens: 0, completionTokens: 0 },
  ) {
    const now = clock();
    this.requests = entry.rpm === undefined ? undefined : new TokenBucket(entry.rpm, MINUTE_MS, now);
    this.tokens = entry.tpm === undefined ? undefined : new TokenBucket(entry.tpm, MINUTE_MS, now);
  }

  get name(): string {
    return this.entry.name;
  }

  /** Counts a request; throws the 429 when the key's requests per minute are used up. */
  admitRequest(): void {
    const wait = this.requests?.take(this.clock(), 1) ?? 0;
    if (wait > 0) this.refuse("requests", this.entry.rpm!, 1, wait);
    this.counters.requests++;
  }

  /** Reserves `tokens`; throws the 429 when they are not available now. */
  reserveTokens(tokens: number): void {
    const wait = this.tokens?.take(this.clock(), tokens) ?? 0;
    if (wait > 0) this.refuse("tokens", this.entry.tpm!, tokens, wait);
  }

  /** Settles a reservation of `reserved` tokens to the `usage` it had. */
  settleTokens(reserved: number, usage: GenerationOutcome["usage"]): void {
    this.counters.promptTokens += usage.promptTokens;
    this.counters.completionTokens += usage.completionTokens;
    this.tokens?.adjust(this.clock(), reserved - usage.promptTokens - usage.completionTokens);
  }

  /** OpenAI's `x-ratelimit-*` headers, for the limits this key has. */
  headers(): Record<string, string> {
    const now = this.clock();
    const headers: Record<string, string> = {};
    for (const [kind, bucket] of [["requests", this.requests], ["tokens", this.tokens]] as const) {
      if (!bucket) continue;
      headers[`x-ratelimit-limit-${kind}`] = String(bucket.capacity);
      headers[`x-ratelimit-remaining-${kind}`] = String(bucket.available(now));
      headers[`x-ratelimit-reset-${kind}`] = goDuration(bucket.resetMs(now));
    }
    return headers;
  }

  private refuse(kind: "requests" | "tokens", limit: number, requested: number, waitMs: number): never {
    this.counters.rateLimited++;
    throw new RateLimitExceededError(this.entry.name, kind, limit, requested, waitMs, this.headers());
  }
}
