import type { GenerationUsage } from "../engine/types.js";
import type { AnthropicCountTokensRequest, AnthropicMessagesRequest } from "../protocol/anthropicRequests.js";
import {
  messageId,
  toolUseId,
  type AnthropicContentBlock,
  type AnthropicResponseMessage,
  type AnthropicStreamEvent,
  type AnthropicTokenCount,
} from "../protocol/anthropicResponses.js";
import { toAnthropicChatParams } from "../protocol/toAnthropicChatParams.js";
import { anthropicEvents, anthropicStop, anthropicUsage, type AnthropicRendering } from "./anthropicEvents.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ChoiceResult } from "./pipelineTypes.js";
import type { ServedModel } from "./ServedModel.js";
import { withApiErrors } from "./withApiErrors.js";

export type AnthropicResult = { stream: false; message: AnthropicResponseMessage } | { stream: true; chunks: AsyncIterable<AnthropicStreamEvent> };

/**
 * Anthropic's Messages API, independent of HTTP: the request mapped to a conversation (`toAnthropicChatParams`)
 * runs as every chat dialect's does (`GenerationSurface.conversation`), and its one answer is rendered as a message
 * or its stream's events (`anthropicEvents`). `countTokens` renders the same conversation and counts its prompt.
 */
export class AnthropicMessagesService extends GenerationSurface<AnthropicMessagesRequest, AnthropicResult> {
  /** The prompt tokens a message request would have: its `usage.input_tokens` plus `cache_read_input_tokens`. */
  countTokens(request: AnthropicCountTokensRequest, signal?: AbortSignal): Promise<AnthropicTokenCount> {
    return withApiErrors(
      this.models.using(request.model, signal, async (model) => {
        const params = toAnthropicChatParams(request, model.engine.info.vocabularySize);
        return { input_tokens: this.tokenizedConversation(model, params, "messages").tokens.length };
      }),
    );
  }

  protected async run(model: ServedModel, request: AnthropicMessagesRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<AnthropicResult> {
    const params = toAnthropicChatParams(request, model.engine.info.vocabularySize);
    const { pipeline, promptTokens } = await this.conversation(model, params, { messages: "messages", maxTokens: "max_tokens" }, signal, observer);
    const rendering: AnthropicRendering = { id: messageId(), model: request.model, promptTokens, stopSequences: params.stop };
    if (params.stream) return { stream: true, chunks: anthropicEvents(pipeline.stream(), rendering) };
    const { choices, usage } = await pipeline.complete();
    return { stream: false, message: anthropicMessage(choices[0]!, usage, rendering) };
  }
}

/** The whole message: consecutive text as one text block, each call a `tool_use` block. */
function anthropicMessage(choice: ChoiceResult, usage: GenerationUsage, rendering: AnthropicRendering): AnthropicResponseMessage {
  const content: AnthropicContentBlock[] = [];
  for (const piece of choice.pieces) {
    const last = content.at(-1);
    if (piece.type === "call") content.push({ type: "tool_use", id: toolUseId(), name: piece.call.name, input: JSON.parse(piece.call.arguments) as Record<string, unknown> });
    else if (last?.type === "text") last.text += piece.text;
    else content.push({ type: "text", text: piece.text });
  }
  return {
    id: rendering.id,
    type: "message",
    role: "assistant",
    content,
    model: rendering.model,
    ...anthropicStop(choice.finishReason, choice.stopSequence, rendering.stopSequences),
    usage: anthropicUsage(usage),
  };
}
