import { InvalidRequestError } from "../errors/ApiError.js";
import type { ToolChatMessage } from "../tools/types.js";
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from "./responsesRequest.js";
import { shared, toolsOf, unsupported, type ChatParams, type RequestedOutput, type ToolFields, type ToolNames } from "./toGenerationParams.js";

/** The Responses API's names for the tool fields, for the 400s of `toolsOf`. */
const TOOL_NAMES: ToolNames = { tools: "tools", choice: "tool_choice", parameters: (index) => `tools[${index}].parameters` };

const LOGPROBS = "message.output_text.logprobs";

/**
 * A Responses API request as the conversation every chat dialect maps to (pure): `instructions` first as the
 * system message, the input items in order (a developer message is a system one; function calls join the
 * assistant turn they follow; their outputs are tool results), function tools and `tool_choice` as chat's, and
 * `text.format` as the output's JSON. What this server cannot do is refused with a 400 naming the field: anything
 * that needs a stored response (`store: true`, `previous_response_id`, `conversation`, `background`, `prompt`,
 * items by reference), reasoning, built-in tools, inputs that are not text, automatic truncation and compaction.
 * `store` absent is read as false, since nothing is ever stored.
 */
export function toResponsesParams(request: ResponsesRequest, vocabularySize: number): ChatParams {
  refuseStateful(request);
  const functions = (request.tools ?? []).map((tool, index) => {
    if (tool.type !== "function") throw unsupported(`tools[${index}].type`, `The built-in tool '${tool.type}' (this server runs function tools only)`);
    return { type: "function" as const, function: { name: tool.name, ...(tool.description != null ? { description: tool.description } : {}), ...(tool.parameters != null ? { parameters: tool.parameters } : {}) } };
  });
  const tools = toolsOf({ tools: functions, tool_choice: toolChoice(request.tool_choice), parallel_tool_calls: request.parallel_tool_calls }, TOOL_NAMES);
  const format = request.text?.format;
  if (tools.offered.length > 0 && format && format.type !== "text") throw unsupported("text.format", "'text.format' together with 'tools'");
  const wantsLogprobs = (request.include ?? []).includes(LOGPROBS) || (request.top_logprobs ?? 0) > 0;
  return {
    ...shared({ temperature: request.temperature, top_p: request.top_p, stream: request.stream }, vocabularySize),
    messages: [...(request.instructions ? [{ role: "system" as const, content: request.instructions }] : []), ...conversation(request.input)],
    tools: tools.offered,
    maxTokens: request.max_output_tokens ?? undefined,
    logprobs: wantsLogprobs ? (request.top_logprobs ?? 0) : undefined,
    output: tools.forced ?? jsonOutput(format),
    toolNames: tools.offered.length > 0 ? new Set(tools.offered.map((tool) => tool.name)) : undefined,
    singleCall: request.parallel_tool_calls === false,
    legacyFunctions: false,
  };
}

/** The fields that would need a stored response, reasoning or truncation, refused by name. */
function refuseStateful(request: ResponsesRequest): void {
  const stateless = "this server stores no responses: send the whole conversation in 'input'";
  if (request.store === true) throw new InvalidRequestError(`'store: true' is not supported: ${stateless}, with 'store' false or absent.`, "store", "unsupported_parameter");
  if (request.previous_response_id != null) throw new InvalidRequestError(`'previous_response_id' is not supported: ${stateless}.`, "previous_response_id", "unsupported_parameter");
  if (request.conversation != null) throw new InvalidRequestError(`'conversation' is not supported: ${stateless}.`, "conversation", "unsupported_parameter");
  if (request.background === true) throw new InvalidRequestError(`'background: true' is not supported: ${stateless}, and answers while the client waits.`, "background", "unsupported_parameter");
  if (request.prompt != null) throw new InvalidRequestError("'prompt' (a stored prompt template) is not supported: this server stores no prompts.", "prompt", "unsupported_parameter");
  if (request.context_management != null) throw unsupported("context_management", "'context_management' (compaction)");
  if (request.truncation === "auto") throw unsupported("truncation", "'truncation: auto' (dropping the conversation's first items to fit the context)");
  const reasoning = request.reasoning;
  if (reasoning?.effort != null && reasoning.effort !== "none") throw unsupported("reasoning.effort", "Reasoning (this model has no reasoning mode)");
  if (reasoning?.summary != null) throw unsupported("reasoning.summary", "Reasoning (this model has no reasoning mode)");
  const verbosity = request.text?.verbosity;
  if (verbosity != null && verbosity !== "medium") throw unsupported("text.verbosity", `'text.verbosity: ${verbosity}'`);
}

/** `tool_choice` in chat's form; a choice of anything but a function is refused. */
function toolChoice(choice: ResponsesRequest["tool_choice"]): ToolFields["tool_choice"] {
  if (choice == null || typeof choice === "string") return choice;
  if (choice.type === "function") {
    if (!("name" in choice) || typeof choice.name !== "string") throw new InvalidRequestError("Missing required parameter: 'tool_choice.name'.", "tool_choice.name", "missing_required_parameter");
    return { type: "function", function: { name: choice.name } };
  }
  throw unsupported("tool_choice.type", `'tool_choice' of type '${choice.type}' (only 'none', 'auto', 'required' or a function)`);
}

/** The input as chat messages: a string is one user message. */
function conversation(input: ResponsesRequest["input"]): ToolChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const messages: ToolChatMessage[] = [];
  input.forEach((item: ResponsesInputItem, index) => {
    const param = `input[${index}]`;
    if (item.type === "message") {
      messages.push({ role: item.role === "developer" ? "system" : item.role, content: textOf(item.content, `${param}.content`) });
    } else if (item.type === "function_call") {
      // the calls an assistant made after (or instead of) its text are the same turn
      const call = { id: item.call_id, name: item.name, arguments: item.arguments };
      const last = messages.at(-1);
      if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), call];
      else messages.push({ role: "assistant", content: "", toolCalls: [call] });
    } else if (item.type === "function_call_output") {
      messages.push({ role: "tool", content: textOf(item.output, `${param}.output`), toolCallId: item.call_id });
    } else {
      const why = item.type === "item_reference" ? "this server stores no items: send the item itself" : "this server makes no such items";
      throw unsupported(`${param}.type`, `Input items of type '${item.type}' (${why})`);
    }
  });
  return messages;
}

/** A content's text: a string, or its text parts joined; an image, a file or audio is refused where it is. */
function textOf(content: string | ResponsesContentPart[], param: string): string {
  if (typeof content === "string") return content;
  return content
    .map((part, index) => {
      if (part.type === "input_text" || part.type === "output_text") return part.text;
      if (part.type === "refusal") return part.refusal;
      throw new InvalidRequestError(`Content parts of type '${part.type}' are not supported: this model reads text only.`, `${param}[${index}].type`, "unsupported_parameter");
    })
    .join("");
}

/** The JSON `text.format` asks for, and where its schema is in the request. */
function jsonOutput(format: NonNullable<ResponsesRequest["text"]>["format"]): RequestedOutput | undefined {
  if (!format || format.type === "text") return undefined;
  return format.type === "json_object" ? { type: "json", schema: undefined, param: "text.format" } : { type: "json", schema: format.schema, param: "text.format.schema" };
}
