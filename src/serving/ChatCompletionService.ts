import type { GenerationUsage } from "../engine/types.js";
import type { ChatCompletionRequest } from "../protocol/requests.js";
import {
  contentFilterField,
  promptFilterResults,
  responseId,
  SYSTEM_FINGERPRINT,
  toChatLogprobs,
  toolCallId,
  toUsage,
  unixTime,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ToolCallWire,
} from "../protocol/responses.js";
import { toChatParams } from "../protocol/toGenerationParams.js";
import { chatChunks, chatFinishReason, type ChatRendering } from "./chatChunks.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ServedModel } from "./ServedModel.js";
import type { ChoiceResult } from "./pipelineTypes.js";

export type ChatResult =
  | { stream: false; response: ChatCompletion }
  | { stream: true; chunks: AsyncIterable<ChatCompletionChunk> };

/**
 * Chat completions, independent of HTTP, a surface over the generation pipeline: the request mapped to a
 * conversation (`toChatParams`) runs as every chat dialect's does (`GenerationSurface.conversation`: rendered with
 * the model's template, its budget checked, the prompt moderated, the `n` choices run, each output moderated and its
 * tool calls split out); the result is rendered as the whole response or its chunks (`chatChunks`).
 */
export class ChatCompletionService extends GenerationSurface<ChatCompletionRequest, ChatResult> {
  protected async run(model: ServedModel, request: ChatCompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<ChatResult> {
    const params = toChatParams(request, model.engine.info.vocabularySize);
    const maxTokensParam = request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
    const { pipeline } = await this.conversation(model, params, { messages: "messages", maxTokens: maxTokensParam }, signal, observer);
    const rendering: ChatRendering = {
      id: responseId("chat"),
      created: unixTime(),
      model: request.model,
      legacy: params.legacyFunctions,
      wantsLogprobs: params.logprobs !== undefined,
      includeUsage: params.includeUsage,
      promptFilter: promptFilterResults(pipeline.promptVerdicts, pipeline.blocking),
      blocking: pipeline.blocking,
    };
    if (params.stream) return { stream: true, chunks: chatChunks(pipeline.stream(), rendering) };
    const { choices, usage } = await pipeline.complete();
    return { stream: false, response: chatCompletion(choices, usage, rendering) };
  }
}

/** A whole chat completion from the pipeline's choices. */
function chatCompletion(results: readonly ChoiceResult[], usage: GenerationUsage, rendering: ChatRendering): ChatCompletion {
  const { legacy, wantsLogprobs, blocking, promptFilter } = rendering;
  const choices = results.map((result): ChatCompletion["choices"][number] => {
    const content = result.pieces.flatMap((o) => (o.type === "content" ? [o.text] : [])).join("");
    const calls = result.pieces.flatMap((o): ToolCallWire[] => (o.type === "call" ? [{ id: toolCallId(), type: "function", function: o.call }] : []));
    return {
      index: result.index,
      message: {
        role: "assistant",
        content: calls.length > 0 && content === "" ? null : content,
        refusal: null,
        ...(calls.length > 0 ? (legacy ? { function_call: calls[0]!.function } : { tool_calls: calls }) : {}),
      },
      logprobs: wantsLogprobs && result.finishReason !== "content_filter" ? toChatLogprobs(result.logprobs) : null,
      finish_reason: chatFinishReason(result.finishReason, legacy),
      ...contentFilterField(result.verdict, blocking),
    };
  });
  return {
    id: rendering.id,
    object: "chat.completion",
    created: rendering.created,
    model: rendering.model,
    choices,
    ...(promptFilter ? { prompt_filter_results: promptFilter } : {}),
    usage: toUsage(usage),
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}
