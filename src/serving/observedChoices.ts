import type { FinishReason, GenerationRequest, GenerationUsage } from "../engine/types.js";
import { choicesUsage } from "./choicesUsage.js";
import type { ChoiceEvent } from "./generateChoices.js";
import type { GenerationObserver } from "./GenerationObserver.js";

/**
 * Passes a request's choice events through, telling `observer` of them: its admission (prompt tokens plus every
 * choice's budget) when the first event is asked for, i.e. before the generations are queued, and its outcome when
 * the events end, fail or are abandoned. `signal` (the request's) aborting settles at once: a consumer that stops
 * pulling without closing these events (a stream's client gone between two chunks) must not leave them unsettled.
 */
export async function* observedChoices(
  events: AsyncIterable<ChoiceEvent>,
  observer: GenerationObserver | undefined,
  requests: ReadonlyArray<Pick<GenerationRequest, "promptTokens" | "maxTokens">>,
  perPrompt: number,
  signal?: AbortSignal,
): AsyncGenerator<ChoiceEvent, void, void> {
  if (!observer) return yield* events;
  observer.admit(requests.reduce((sum, r) => sum + r.promptTokens.length + r.maxTokens * perPrompt, 0));
  const finished = new Map<number, GenerationUsage>();
  const reasons = new Map<number, FinishReason>();
  const pieces = new Map<number, number>();
  let queueMs: number | undefined;
  let settled = false;
  const settle = (): void => {
    if (settled) return;
    settled = true;
    signal?.removeEventListener("abort", settle);
    const usages = [...pieces].map(([index, count]) => ({
      index,
      ...(finished.get(index) ?? { promptTokens: requests[Math.floor(index / perPrompt)]!.promptTokens.length, completionTokens: count, cachedTokens: 0 }),
    }));
    for (const [index, usage] of finished) if (!pieces.has(index)) usages.push({ index, ...usage });
    const finishReasons = Array.from({ length: requests.length * perPrompt }, (_, index) => reasons.get(index));
    observer.settle({ usage: choicesUsage(usages, perPrompt), finishReasons, ...(queueMs !== undefined ? { queueMs } : {}) });
  };
  signal?.addEventListener("abort", settle);
  try {
    for await (const event of events) {
      if (event.type === "done") {
        finished.set(event.index, event.usage);
        reasons.set(event.index, event.finishReason);
        queueMs = Math.min(queueMs ?? Infinity, event.queueMs);
      } else {
        pieces.set(event.index, (pieces.get(event.index) ?? 0) + (event.type === "text" ? 1 : 0));
        if (event.type === "text") observer.text?.(event.index, event.text);
      }
      yield event;
    }
  } finally {
    settle();
  }
}
