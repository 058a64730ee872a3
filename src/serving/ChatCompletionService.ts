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
import { assertTextCanFit } from "../protocol/assertTextCanFit.js";
import { toChatParams } from "../protocol/toGenerationParams.js";
import { renderToolMessages } from "../templates/renderToolMessages.js";
import { TOOL_CALL_CLOSE } from "../tools/types.js";
import { chatChunks, chatFinishReason, type ChatRendering } from "./chatChunks.js";
import { completionBudget } from "./completionBudget.js";
import { compileGeneration } from "./compileGeneration.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ServedModel } from "./ServedModel.js";
import type { ChoiceResult } from "./pipelineTypes.js";

export type ChatResult =
  | { stream: false; response: ChatCompletion }
  | { stream: true; chunks: AsyncIterable<ChatCompletionChunk> };

/**
 * Chat completions, independent of HTTP, a surface over the generation pipeline: renders the messages with the
 * model's template (tools described in it) and checks the context budget before anything is sent; the pipeline
 * moderates the prompt, runs the `n` choices, moderates each output and splits tool calls out of it; the result is
 * rendered as the whole response or its chunks (`chatChunks`).
 */
export class ChatCompletionService extends GenerationSurface<ChatCompletionRequest, ChatResult> {
  protected async run(model: ServedModel, request: ChatCompletionRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<ChatResult> {
    const engine = model.engine;
    const params = toChatParams(request, engine.info.vocabularySize);
    const { sampling, structured } = compileGeneration(params);
    const template = model.template;
    // a template that renders tools itself gets them, and the calls and results, as they came; any other reads them
    // in our own format, written into its three roles
    const usesTools = params.tools.length > 0 || params.messages.some((m) => m.role === "tool" || m.toolCalls !== undefined);
    const prompt =
      template.renderWithTools && usesTools
        ? template.renderWithTools(params.messages, params.tools)
        : template.render(renderToolMessages(params.messages, params.tools));
    assertTextCanFit(prompt.text, engine.info.contextSize, engine.info.longestTokenChars, "messages");
    const promptTokens = engine.promptTokens(prompt.text, prompt.parseSpecial);
    const maxTokens = completionBudget(
      engine,
      promptTokens.length,
      params.maxTokens,
      params.maxTokens === undefined ? "messages" : request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
    );
    // the client's messages (tool results included), not the system's, are what the prompt moderation judges
    const promptText = params.messages.flatMap((m) => (m.role === "system" ? [] : [m.content])).join("\n");
    const generation = {
      promptTokens,
      maxTokens,
      sampling,
      // a structured output ends when its grammar is complete: the template's stop strings could cut it; a
      // single call (parallel_tool_calls false, legacy functions) ends the output where it ends
      stop: structured ? params.stop : [...prompt.stop, ...params.stop, ...(params.singleCall && params.toolNames ? [TOOL_CALL_CLOSE] : [])],
      ...(params.logprobs !== undefined ? { logprobs: params.logprobs } : {}),
      ...(structured ? { structured } : {}),
    };
    const pipeline = await this.pipeline(model, {
      prompts: [{ request: generation, moderated: promptText, param: "messages" }],
      perPrompt: params.n,
      toolCalls: params.toolNames ? { names: params.toolNames, single: params.singleCall } : undefined,
      signal,
      observer,
    });
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
