import { parseArguments } from "../tools/parseArguments.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, type ToolChatMessage, type ToolDefinition } from "../tools/types.js";
import type { ChatMessage } from "./ChatTemplate.js";

/**
 * Messages in the three roles every chat format has. The tools (when offered) are described in the system message,
 * with the exact form a call must take; an assistant's past calls are written in that form; tool results become a
 * user turn of `<tool_response>` blocks (consecutive results in one turn, as formats that alternate roles need).
 */
export function renderToolMessages(messages: readonly ToolChatMessage[], tools: readonly ToolDefinition[]): ChatMessage[] {
  const callNames = new Map<string, string>();
  const out: ChatMessage[] = [];
  let results: string[] = [];
  const endResults = (): void => {
    if (results.length > 0) out.push({ role: "user", content: results.join("\n") });
    results = [];
  };
  for (const message of messages) {
    if (message.role === "tool") {
      // a result answers a call by its id, or (the deprecated `function` role) names its function
      const name = message.toolCallId === undefined ? message.name : callNames.get(message.toolCallId);
      results.push(`<tool_response>${JSON.stringify({ ...(name ? { name } : {}), content: message.content })}</tool_response>`);
      continue;
    }
    endResults();
    if (message.role === "assistant" && message.toolCalls && message.toolCalls.length > 0) {
      for (const call of message.toolCalls) callNames.set(call.id, call.name);
      const calls = message.toolCalls.map((call) => `${TOOL_CALL_OPEN}${JSON.stringify({ name: call.name, arguments: parseArguments(call.arguments) })}${TOOL_CALL_CLOSE}`);
      out.push({ role: "assistant", content: [message.content, ...calls].filter((part) => part !== "").join("\n") });
      continue;
    }
    out.push({ role: message.role, content: message.content, ...(message.name !== undefined ? { name: message.name } : {}) });
  }
  endResults();
  if (tools.length === 0) return out;
  const block = toolsBlock(tools);
  const system = out.findIndex((message) => message.role === "system");
  if (system === 0) out[0] = { ...out[0]!, content: `${out[0]!.content}\n\n${block}` };
  else out.unshift({ role: "system", content: block });
  return out;
}

function toolsBlock(tools: readonly ToolDefinition[]): string {
  const list = tools.map((tool) => ({ name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters ?? { type: "object", properties: {} } }));
  return [
    "You can call functions. The functions available, with the JSON Schema of their arguments:",
    `<tools>${JSON.stringify(list)}</tools>`,
    `To call a function, write a line of exactly this form, nothing else on it: ${TOOL_CALL_OPEN}{"name": "<function name>", "arguments": {<the arguments>}}${TOOL_CALL_CLOSE}`,
    "Write one such line per call. Each result comes back to you in <tool_response></tool_response> tags.",
  ].join("\n");
}
