import type { GenerationUsage } from "../engine/types.js";
import { toolUseId, type AnthropicStopReason, type AnthropicStreamEvent, type AnthropicUsage } from "../protocol/anthropicResponses.js";
import type { ToolOutputEvent } from "../tools/ToolCallParser.js";
import type { ChoiceEnd, PipelineEvent } from "./pipelineTypes.js";

/** What an Anthropic message says besides its content. */
export interface AnthropicRendering {
  id: string;
  model: string;
  /** The prompt's tokens, known before any is evaluated (`message_start`'s usage). */
  promptTokens: number;
  /** The client's `stop_sequences`: only these are reported as `stop_sequence` (the template's own are an end of turn). */
  stopSequences: readonly string[];
}

/** Why an answer ended, in Anthropic's terms, and the client's stop sequence that ended it. */
export function anthropicStop(
  end: ChoiceEnd,
  stop: string | undefined,
  stopSequences: readonly string[],
): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  if (end === "stop" && stop !== undefined && stopSequences.includes(stop)) return { stop_reason: "stop_sequence", stop_sequence: stop };
  const reasons: Record<ChoiceEnd, AnthropicStopReason> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" };
  return { stop_reason: reasons[end], stop_sequence: null };
}

/** The pipeline's usage in Anthropic's accounting: the cached prompt tokens apart from those evaluated. */
export function anthropicUsage(usage: GenerationUsage): AnthropicUsage {
  return {
    input_tokens: usage.promptTokens - usage.cachedTokens,
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedTokens,
  };
}

/**
 * A streamed message's events from the pipeline's (one answer): `message_start` once the generation has started
 * (its usage the whole prompt, nothing known cached yet), then content blocks — a text block opened by the first
 * text and closed by a call or the end, each call a `tool_use` block whose input comes whole in one
 * `input_json_delta` (the parser releases a call once it is complete) —, `ping` after the first block's start (or
 * before the end when there is none), `message_delta` with the stop reason and the final usage, `message_stop`.
 */
export async function* anthropicEvents(events: AsyncIterable<PipelineEvent>, rendering: AnthropicRendering): AsyncGenerator<AnthropicStreamEvent, void, void> {
  let blocks = 0;
  let textOpen = false;
  function* ping(): Generator<AnthropicStreamEvent, void, void> {
    if (blocks === 1) yield { type: "ping" };
  }
  function* closeText(): Generator<AnthropicStreamEvent, void, void> {
    if (textOpen) yield { type: "content_block_stop", index: blocks - 1 };
    textOpen = false;
  }
  function* blocksOf(pieces: readonly ToolOutputEvent[]): Generator<AnthropicStreamEvent, void, void> {
    for (const piece of pieces) {
      if (piece.type === "content") {
        if (!textOpen) {
          yield { type: "content_block_start", index: blocks++, content_block: { type: "text", text: "" } };
          textOpen = true;
          yield* ping();
        }
        yield { type: "content_block_delta", index: blocks - 1, delta: { type: "text_delta", text: piece.text } };
        continue;
      }
      yield* closeText();
      const index = blocks++;
      yield { type: "content_block_start", index, content_block: { type: "tool_use", id: toolUseId(), name: piece.call.name, input: {} } };
      yield* ping();
      yield { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece.call.arguments } };
      yield { type: "content_block_stop", index };
    }
  }
  for await (const event of events) {
    if (event.type === "start") {
      const usage = anthropicUsage({ promptTokens: rendering.promptTokens, completionTokens: 0, cachedTokens: 0 });
      const { id, model } = rendering;
      yield { type: "message_start", message: { id, type: "message", role: "assistant", content: [], model, stop_reason: null, stop_sequence: null, usage } };
    } else if (event.type === "text") {
      yield* blocksOf(event.pieces);
    } else if (event.type === "done") {
      yield* blocksOf(event.pieces);
      yield* closeText();
      if (blocks === 0) yield { type: "ping" };
      yield { type: "message_delta", delta: anthropicStop(event.finishReason, event.stopSequence, rendering.stopSequences), usage: anthropicUsage(event.usage) };
    }
  }
  yield { type: "message_stop" };
}
