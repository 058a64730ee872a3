import { Template } from "@huggingface/jinja";
import { InvalidRequestError } from "../errors/ApiError.js";
import { parseArguments } from "../tools/parseArguments.js";
import type { ToolChatMessage, ToolDefinition } from "../tools/types.js";
import type { ChatMessage, ChatTemplate, RenderedPrompt } from "./ChatTemplate.js";

/** The GGUF's own `tokenizer.chat_template`, rendered as Hugging Face's `apply_chat_template` does. */
export class JinjaTemplate implements ChatTemplate {
  readonly format = "jinja" as const;
  private readonly template: Template;
  readonly renderWithTools?: (messages: readonly ToolChatMessage[], tools: readonly ToolDefinition[]) => RenderedPrompt;

  constructor(
    source: string,
    private readonly specialTokens: { bos: string; eos: string },
  ) {
    this.template = new Template(source);
    // a template that reads `tools` renders them, and tool calls and results, its own way (Hermes 2 Pro, Qwen, ...)
    if (/\btools\b/.test(source)) this.renderWithTools = (messages, tools) => this.apply({ messages: messages.map(huggingFaceMessage), ...(tools.length > 0 ? { tools: tools.map(huggingFaceTool) } : {}) });
  }

  render(messages: readonly ChatMessage[]): RenderedPrompt {
    return this.apply({ messages });
  }

  private apply(variables: Record<string, unknown>): RenderedPrompt {
    let text: string;
    try {
      text = this.template.render({
        ...variables,
        bos_token: this.specialTokens.bos,
        eos_token: this.specialTokens.eos,
        add_generation_prompt: true,
      });
    } catch (error) {
      // templates raise errors on purpose (e.g. "roles must alternate"): that is the caller's mistake
      throw new InvalidRequestError(`The model's chat template rejected the messages: ${(error as Error).message}`, "messages");
    }
    return { text, stop: [], parseSpecial: true };
  }
}

/** A message as Hugging Face's `apply_chat_template` takes it: calls with their arguments as objects. */
function huggingFaceMessage(message: ToolChatMessage): Record<string, unknown> {
  return {
    role: message.role,
    content: message.content,
    ...(message.name !== undefined ? { name: message.name } : {}),
    ...(message.toolCalls
      ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: parseArguments(call.arguments) } })) }
      : {}),
    ...(message.toolCallId !== undefined ? { tool_call_id: message.toolCallId } : {}),
  };
}

/** A tool in OpenAI's (and Hugging Face's) form. */
function huggingFaceTool(tool: ToolDefinition): Record<string, unknown> {
  return {
    type: "function",
    function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters ?? { type: "object", properties: {} } },
  };
}
