import type { GenerationUsage } from "../engine/types.js";
import { objectId, toOutputLogprobs, toResponseUsage, type OutputItem, type ResponseObject, type ResponseSettings, type ResponseStreamEvent } from "../protocol/responseObjects.js";
import { toolCallId, unixTime } from "../protocol/responses.js";
import type { ResponsesRequest } from "../protocol/responsesRequest.js";
import { toResponsesParams } from "../protocol/toResponsesParams.js";
import { GenerationSurface } from "./GenerationSurface.js";
import type { GenerationObserver } from "./GenerationObserver.js";
import type { ChoiceResult } from "./pipelineTypes.js";
import { responseEvents } from "./responseEvents.js";
import { incompleteReason, responseObject, type ResponseRendering } from "./responseObject.js";
import type { ServedModel } from "./ServedModel.js";

export type ResponsesResult = { stream: false; response: ResponseObject } | { stream: true; chunks: AsyncIterable<ResponseStreamEvent> };

/**
 * OpenAI's Responses API, stateless, independent of HTTP: the request mapped to a conversation
 * (`toResponsesParams`) runs as every chat dialect's does (`GenerationSurface.conversation`), and its one choice is
 * rendered as the response object (`responseObject`) or its semantic events (`responseEvents`).
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

/**
 * A whole response from the pipeline's choice: the content runs as message items and each call as a function_call
 * item, in the order the model wrote them (a message even when it wrote nothing); a message that ends an
 * incomplete response is incomplete; the logprobs go with the first message.
 */
function wholeResponse(result: ChoiceResult, usage: GenerationUsage, rendering: ResponseRendering): ResponseObject {
  const output: OutputItem[] = [];
  for (const piece of result.pieces) {
    const last = output.at(-1);
    if (piece.type === "call") output.push({ id: objectId("fc"), type: "function_call", status: "completed", call_id: toolCallId(), name: piece.call.name, arguments: piece.call.arguments });
    else if (last?.type === "message") last.content[0]!.text += piece.text;
    else output.push({ id: objectId("msg"), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: piece.text, annotations: [], logprobs: [] }] });
  }
  if (output.length === 0) output.push({ id: objectId("msg"), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "", annotations: [], logprobs: [] }] });
  const first = output.find((item) => item.type === "message");
  if (first && rendering.wantsLogprobs) first.content[0]!.logprobs = toOutputLogprobs(result.logprobs);
  const last = output.at(-1)!;
  if (incompleteReason(result.finishReason) && last.type === "message") last.status = "incomplete";
  return responseObject(rendering, { output, end: result.finishReason, usage: toResponseUsage(usage) });
}
