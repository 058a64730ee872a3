/** A function the model may call: its name, what it does, and the JSON Schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** Absent: the function takes no arguments (`{}`). */
  parameters?: Record<string, unknown>;
}

/** A call the model made: the function's name and its arguments as JSON text. */
export interface ToolCall {
  name: string;
  arguments: string;
}

/** A chat message as the API receives it, tool calls and tool results included. */
export interface ToolChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  name?: string;
  /** An assistant's calls. */
  toolCalls?: Array<ToolCall & { id: string }>;
  /** A tool result: the call it answers. */
  toolCallId?: string;
}

/** The markers a call is written between, one call per pair, calls separated by a newline. */
export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";
