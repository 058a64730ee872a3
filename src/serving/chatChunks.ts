import type { TokenLogprob } from "../engine/types.js";
import type { ModerationVerdict } from "../moderation/ModerationVerdict.js";
import {
  contentFilterField,
  SYSTEM_FINGERPRINT,
  toChatLogprobs,
  toolCallId,
  toUsage,
  type ChatCompletionChunk,
  type ChoiceFinishReason,
  type PromptFilterResults,
} from "../protocol/responses.js";
import type { ToolOutputEvent } from "../tools/ToolCallParser.js";
import type { ChoiceEnd, PipelineEvent } from "./pipelineTypes.js";

/** What a chat response says besides its choices. */
export interface ChatRendering {
  id: string;
  created: number;
  model: string;
  /** Calls in the deprecated form (`function_call`, finish_reason "function_call"). */
  legacy: boolean;
  wantsLogprobs: boolean;
  includeUsage: boolean;
  promptFilter: PromptFilterResults | undefined;
  /** Whether the content filter acts on what it finds (its results say `filtered`). */
  blocking: boolean;
}

/** A chat choice's finish reason: calls are `function_call` in the deprecated form. */
export function chatFinishReason(end: ChoiceEnd, legacy: boolean): ChoiceFinishReason {
  return end === "tool_calls" && legacy ? "function_call" : end;
}

type Choice = ChatCompletionChunk["choices"][number];

/**
 * A streamed chat completion's chunks from the pipeline's events: each choice's role delta once the generation
 * has started (the prompt's filter results on the first), its content and tool-call deltas (a choice's logprobs
 * held until its next delta), its finish reason, then the usage chunk when asked for.
 */
export async function* chatChunks(events: AsyncIterable<PipelineEvent>, rendering: ChatRendering): AsyncGenerator<ChatCompletionChunk, void, void> {
  const { id, created, model, legacy, wantsLogprobs, includeUsage, promptFilter, blocking } = rendering;
  const chunk = (
    index: number,
    verdict: ModerationVerdict | undefined,
    delta: Choice["delta"],
    finishReason: Choice["finish_reason"],
    logprobs: Choice["logprobs"] = null,
    first = false,
  ): ChatCompletionChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index, delta, logprobs, finish_reason: finishReason, ...contentFilterField(verdict, blocking) }],
    ...(first && promptFilter ? { prompt_filter_results: promptFilter } : {}),
    system_fingerprint: SYSTEM_FINGERPRINT,
    ...(includeUsage ? { usage: null } : {}),
  });
  const states = new Map<number, { calls: number; logprobs: TokenLogprob[] }>();
  const stateOf = (index: number) => states.get(index) ?? states.set(index, { calls: 0, logprobs: [] }).get(index)!;
  /** The chunks of one choice's output pieces; the logprobs held for that choice go with the first of them. */
  function* deltas(index: number, verdict: ModerationVerdict | undefined, pieces: readonly ToolOutputEvent[]): Generator<ChatCompletionChunk, void, void> {
    const state = stateOf(index);
    for (const piece of pieces) {
      const logprobs = wantsLogprobs && state.logprobs.length > 0 ? toChatLogprobs(state.logprobs.splice(0)) : null;
      if (piece.type === "content") {
        yield chunk(index, verdict, { content: piece.text }, null, logprobs);
        continue;
      }
      const callIndex = state.calls++;
      if (legacy) {
        yield chunk(index, verdict, { function_call: { name: piece.call.name, arguments: "" } }, null, logprobs);
        yield chunk(index, verdict, { function_call: { arguments: piece.call.arguments } }, null);
        continue;
      }
      const opening = { index: callIndex, id: toolCallId(), type: "function" as const, function: { name: piece.call.name, arguments: "" } };
      yield chunk(index, verdict, { tool_calls: [opening] }, null, logprobs);
      yield chunk(index, verdict, { tool_calls: [{ index: callIndex, function: { arguments: piece.call.arguments } }] }, null);
    }
  }
  for await (const event of events) {
    if (event.type === "start") {
      yield chunk(event.index, event.verdict, { role: "assistant" }, null, null, event.index === 0);
    } else if (event.type === "text") {
      stateOf(event.index).logprobs.push(...event.logprobs);
      yield* deltas(event.index, event.verdict, event.pieces);
    } else if (event.type === "done") {
      yield* deltas(event.index, event.verdict, event.pieces);
      const held = stateOf(event.index).logprobs.splice(0);
      const leftover = wantsLogprobs && held.length > 0 ? toChatLogprobs(held) : null;
      yield chunk(event.index, event.verdict, {}, chatFinishReason(event.finishReason, legacy), leftover);
    } else if (event.type === "usage" && includeUsage) {
      yield { id, object: "chat.completion.chunk", created, model, choices: [], system_fingerprint: SYSTEM_FINGERPRINT, usage: toUsage(event.usage) };
    }
  }
}
