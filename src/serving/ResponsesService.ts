import { objectId, type ResponseObject, type ResponseSettings, type ResponseStreamEvent } from "../protocol/responseObjects.js";
import { unixTime } from "../protocol/responses.js";
import type { ResponsesRequest } from "../protocol/responsesRequest.js";
import { toResponsesParams } from "../protocol/toResponsesParams.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import { responseEvents } from "./responseEvents.js";
import type { ResponseRendering } from "./responseObject.js";
import type { ServedModel } from "./ServedModel.js";
import { wholeResponse } from "./wholeResponse.js";

export type ResponsesResult = { stream: false; response: ResponseObject } | { stream: true; chunks: AsyncIterable<ResponseStreamEvent> };

/**
 * OpenAI's Responses API, stateless, independent of HTTP: the request mapped to a conversation
 * (`toResponsesParams`) runs as every chat dialect's does (`GenerationSurface.conversation`), and its one choice is
 * rendered as the response object (`wholeResponse`) or its semantic events (`responseEvents`).
 */
export class ResponsesService extends GenerationSurface<ResponsesRequest, ResponsesResult> {
  protected async run(model: ServedModel, request: ResponsesRequest, signal?: AbortSignal, observer?: GenerationObserver): Promise<ResponsesResult> {
    const params = toResponsesParams(request, model.engine.info.vocabularySize);
    const { pipeline } = await this.conversation(model, params, { messages: "input", maxTokens: "max_output_tokens" }, signal, observer);
    const rendering: ResponseRendering = { id: objectId("resp"), createdAt: unixTime(), settings: settingsOf(request), wantsLogprobs: params.logprobs !== undefined };
    if (params.stream) return { stream: true, chunks: responseEvents(pipeline.stream(), rendering) };
    const { choices, usage } = await pipeline.complete();
    return { stream: false, response: wholeResponse(choices[0]!, usage, rendering) };
  }
}

/** The request's settings as the response echoes them, OpenAI's defaults for those it left out. */
function settingsOf(request: ResponsesRequest): ResponseSettings {
  const choice = request.tool_choice;
  return {
    model: request.model,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    temperature: request.temperature ?? 1,
    top_p: request.top_p ?? 1,
    top_logprobs: request.top_logprobs ?? 0,
    // toResponsesParams has refused every other choice
    tool_choice: choice == null ? "auto" : typeof choice === "string" ? choice : { type: "function", name: (choice as { name: string }).name },
    tools: (request.tools ?? []).flatMap((tool) =>
      tool.type === "function" ? [{ type: "function" as const, name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? true }] : [],
    ),
    text: { format: formatOf(request.text?.format) },
    ...(request.user != null ? { user: request.user } : {}),
  };
}

function formatOf(format: NonNullable<ResponsesRequest["text"]>["format"]): ResponseSettings["text"]["format"] {
  if (!format || format.type === "text") return { type: "text" };
  if (format.type === "json_object") return { type: "json_object" };
  return { type: "json_schema", name: format.name, schema: format.schema, strict: format.strict ?? false, ...(format.description != null ? { description: format.description } : {}) };
}
