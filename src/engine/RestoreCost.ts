/** Weight of a new measurement in the running estimates: recent enough to follow the machine's drift. */
const WEIGHT = 0.2;

/**
 * Whether restoring a kept state beats recomputing its tokens, from running estimates of both: prefill time per
 * token (from the scheduler's own steps) and restore time, a fixed part plus a part per byte (from the restores
 * themselves), all seeded by a measurement when the cache opens. A restore is used only when it is estimated to take
 * at most `margin` of the recomputation: a tiny prefix, or a state much larger than what it saves, is cheaper to
 * recompute.
 */
export class RestoreCost {
  constructor(
    private prefillMsPerToken: number,
    private readonly restoreFixedMs: number,
    private restoreMsPerByte: number,
    private readonly margin = 0.8,
  ) {}

  /** A decode step evaluated `tokens` tokens (prompt tokens mostly) in `ms`. */
  recordPrefill(tokens: number, ms: number): void {
    if (tokens > 0 && ms > 0) this.prefillMsPerToken += WEIGHT * (ms / tokens - this.prefillMsPerToken);
  }

  /** A restore of a `bytes` state took `ms`. */
  recordRestore(bytes: number, ms: number): void {
    if (bytes > 0 && ms > 0) this.restoreMsPerByte += WEIGHT * (Math.max(0, ms - this.restoreFixedMs) / bytes - this.restoreMsPerByte);
  }

  /** Estimated ms to restore a `bytes` state, and to recompute `tokens` tokens. */
  restoreMs(bytes: number): number {
    return this.restoreFixedMs + bytes * this.restoreMsPerByte;
  }

  recomputeMs(tokens: number): number {
    return tokens * this.prefillMsPerToken;
  }

  /** Whether restoring a `bytes` state, to save computing `tokens` prompt tokens, is worth it. */
  worth(bytes: number, tokens: number): boolean {
    return this.restoreMs(bytes) <= this.margin * this.recomputeMs(tokens);
  }
}
