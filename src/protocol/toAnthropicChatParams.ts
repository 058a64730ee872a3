import { InvalidRequestError } from "../errors/ApiError.js";
import type { ToolChatMessage } from "../tools/types.js";
import type { AnthropicCountTokensRequest, AnthropicInputBlock, AnthropicMessagesRequest } from "./anthropicRequests.js";
import { shared, toolsOf, unsupported, type ChatParams, type RequestedOutput, type ToolFields, type ToolNames } from "./toGenerationParams.js";

/** Where Anthropic's tool fields are, for the errors `toolsOf` names. */
const TOOL_NAMES: ToolNames = { tools: "tools", choice: "tool_choice", parameters: (index) => `tools[${index}].input_schema` };

/** A count_tokens request is the conversation alone: it reads as a message request with nothing to generate. */
type AnthropicConversation = AnthropicCountTokensRequest &
  Partial<Pick<AnthropicMessagesRequest, "max_tokens" | "stop_sequences" | "stream" | "temperature" | "top_p" | "top_k">>;

/**
 * A validated Messages API request as the dialect-neutral conversation: the system prompt first, text blocks as
 * message text, an assistant's `tool_use` blocks as its tool calls and a user's `tool_result` blocks as tool
 * messages (in their order), `tools` / `tool_choice` through the same `toolsOf` as OpenAI's (`any` is `required`,
 * `disable_parallel_tool_use` is `parallel_tool_calls: false`), `output_config.format` as the JSON output, and
 * one answer. What would change the answer and is not served (thinking, images, documents, server tools, a final
 * assistant message to continue) is a 400 naming it.
 */
export function toAnthropicChatParams(request: AnthropicConversation, vocabularySize: number): ChatParams {
  if (request.thinking && request.thinking.type !== "disabled") {
    throw unsupported("thinking", "Extended thinking");
  }
  const last = request.messages.length - 1;
  if (request.messages[last]!.role === "assistant") {
    throw new InvalidRequestError(
      "A last message from the assistant (a prefill for the answer to continue) is not supported by this server: end with a user message.",
      `messages[${last}].role`,
      "unsupported_parameter",
    );
  }
  const system = request.system === undefined ? "" : typeof request.system === "string" ? request.system : request.system.map((block) => block.text).join("\n");
  const messages: ToolChatMessage[] = [
    ...(system !== "" ? [{ role: "system" as const, content: system }] : []),
    ...request.messages.flatMap((message, index) => (message.role === "user" ? userMessages(message.content, index) : [assistantMessage(message.content, index)])),
  ];
  const choice = request.tool_choice;
  const oneCall = choice !== undefined && "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true;
  const tools = toolsOf(toolFields(request, oneCall), TOOL_NAMES);
  const format = request.output_config?.format;
  if (format && tools.offered.length > 0) throw unsupported("output_config.format", "'output_config.format' together with 'tools'");
  const json: RequestedOutput | undefined = format ? { type: "json", schema: format.schema, param: "output_config.format.schema" } : undefined;
  return {
    ...shared(
      { temperature: request.temperature, top_p: request.top_p, top_k: request.top_k, stop: request.stop_sequences, stream: request.stream },
      vocabularySize,
    ),
    messages,
    tools: tools.offered,
    maxTokens: request.max_tokens,
    logprobs: undefined,
    output: tools.forced ?? json,
    toolNames: tools.offered.length > 0 ? new Set(tools.offered.map((tool) => tool.name)) : undefined,
    singleCall: oneCall,
    legacyFunctions: false,
  };
}

/**
 * Anthropic's tools and tool choice in the shape `toolsOf` reads (`oneCall`: `disable_parallel_tool_use`); a server
 * tool (`web_search`, `bash`, ...) is refused.
 */
function toolFields(request: AnthropicConversation, oneCall: boolean): ToolFields {
  const tools = (request.tools ?? []).map((tool, index) => {
    if (tool.type != null && tool.type !== "custom") {
      throw unsupported(`tools[${index}].type`, `The server tool '${tool.type}'`);
    }
    if (tool.input_schema === undefined) {
      throw new InvalidRequestError(`Missing required parameter: 'tools[${index}].input_schema'.`, `tools[${index}].input_schema`, "missing_required_parameter");
    }
    const definition = { name: tool.name, parameters: tool.input_schema, ...(tool.description !== undefined ? { description: tool.description } : {}) };
    return { type: "function" as const, function: definition };
  });
  const choice = request.tool_choice;
  const parallel = oneCall ? { parallel_tool_calls: false } : {};
  if (!choice) return { tools, ...parallel };
  const modes = { auto: "auto", any: "required", none: "none" } as const;
  const toolChoice = choice.type === "tool" ? { type: "function" as const, function: { name: choice.name } } : modes[choice.type];
  return { tools, tool_choice: toolChoice, ...parallel };
}

/** A user turn: its text blocks as user messages, its tool results as tool messages, in their order. */
function userMessages(content: string | AnthropicInputBlock[], index: number): ToolChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const out: ToolChatMessage[] = [];
  let text: string[] = [];
  const endText = (): void => {
    if (text.length > 0) out.push({ role: "user", content: text.join("\n") });
    text = [];
  };
  content.forEach((block, blockIndex) => {
    const at = `messages[${index}].content[${blockIndex}]`;
    if (block.type === "text") {
      text.push(block.text);
    } else if (block.type === "tool_result") {
      endText();
      // the model reads a failed call's result as such: the message has no error flag of its own
      const result = toolResultText(block.content, at);
      out.push({ role: "tool", toolCallId: block.tool_use_id, content: block.is_error ? `Error: ${result}` : result });
    } else if (block.type === "tool_use") {
      throw new InvalidRequestError("A 'tool_use' block belongs in an assistant message.", `${at}.type`, "invalid_value");
    } else {
      throw unsupportedBlock(block.kind, `${at}.type`);
    }
  });
  endText();
  return out;
}

/** An assistant turn: its text blocks as its content, its `tool_use` blocks as its calls. */
function assistantMessage(content: string | AnthropicInputBlock[], index: number): ToolChatMessage {
  if (typeof content === "string") return { role: "assistant", content };
  const text: string[] = [];
  const calls: NonNullable<ToolChatMessage["toolCalls"]> = [];
  content.forEach((block, blockIndex) => {
    const at = `messages[${index}].content[${blockIndex}]`;
    if (block.type === "text") text.push(block.text);
    else if (block.type === "tool_use") calls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
    else if (block.type === "tool_result") throw new InvalidRequestError("A 'tool_result' block belongs in a user message.", `${at}.type`, "invalid_value");
    else throw unsupportedBlock(block.kind, `${at}.type`);
  });
  return { role: "assistant", content: text.join("\n"), ...(calls.length > 0 ? { toolCalls: calls } : {}) };
}

function toolResultText(content: Extract<AnthropicInputBlock, { type: "tool_result" }>["content"], at: string): string {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .map((block, index) => {
      if (block.type === "text") return block.text;
      throw unsupportedBlock(block.kind, `${at}.content[${index}].type`);
    })
    .join("\n");
}

function unsupportedBlock(kind: string, param: string): InvalidRequestError {
  const why = kind === "thinking" || kind === "redacted_thinking" ? "this server does not run extended thinking" : "this model reads text only";
  return new InvalidRequestError(`Content blocks of type '${kind}' are not supported: ${why}.`, param, "unsupported_parameter");
}
