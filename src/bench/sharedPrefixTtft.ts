import { REQUEST_DEFAULTS } from "./requestDefaults.js";
import type { ServingTarget } from "./ServingTarget.js";
import { streamRequest } from "./streamRequest.js";

/** Time to first token of a system prompt's first use and of a later one, and what the later one found cached. */
export interface TtftSample {
  coldMs: number;
  warmMs: number;
  /** Cached prompt tokens the warm request's usage reported; undefined when the server says nothing of them. */
  warmCachedTokens: number | undefined;
}

/**
 * Two chat requests with the same (new) system prompt and different questions, one after the other: the first reads
 * the whole prompt (cold), the second may reuse the system prompt from whichever slot holds it (warm).
 */
export async function sharedPrefixTtft(target: ServingTarget, system: string, sample: number): Promise<TtftSample> {
  const ask = (question: string) =>
    streamRequest(
      `${target.apiUrl}/chat/completions`,
      {
        ...REQUEST_DEFAULTS,
        model: target.modelId,
        messages: [
          { role: "system", content: system },
          { role: "user", content: question },
        ],
        max_tokens: 1,
      },
      target.requestOptions,
    );
  const cold = await ask(`Question ${sample}?`);
  const warm = await ask(`Another question, number ${sample}?`);
  return { coldMs: cold.firstTokenAt - cold.sentAt, warmMs: warm.firstTokenAt - warm.sentAt, warmCachedTokens: warm.cachedTokens };
}
