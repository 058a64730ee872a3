import type { FinishReason, GenerationUsage } from "../engine/types.js";

/** What a request's generations used, once they have ended, failed or been abandoned by the client. */
export interface GenerationOutcome {
  /**
   * The usage as the response reports it; a choice that did not finish counts its prompt (once it had started) and
   * one completion token per text piece it produced, a lower bound of what it sampled.
   */
  usage: GenerationUsage;
  /** By choice index; undefined for a choice that did not finish. */
  finishReasons: Array<FinishReason | undefined>;
  /** Milliseconds the request waited for its first slot (the shortest wait of its finished generations), when known. */
  queueMs?: number;
}

/**
 * An observer of one request's generations, for the layer above (rate limits, access log): it knows no HTTP and the
 * services call it at fixed points. `admit` runs before any generation is queued and may throw to refuse the
 * request; when it did not throw, `settle` runs exactly once, however the request ends.
 */
export interface GenerationObserver {
  /** `tokens`: the prompts' tokens plus the completion budget of every choice, the most the request can use. */
  admit(tokens: number): void;
  /** Each text piece as it is generated. */
  text?(index: number, text: string): void;
  settle(outcome: GenerationOutcome): void;
}
