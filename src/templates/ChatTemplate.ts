import type { ToolChatMessage, ToolDefinition } from "../tools/types.js";

/** A chat message after protocol validation: content already flattened to text. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
  name?: string;
}

/** A chat rendered to the text the model completes. */
export interface RenderedPrompt {
  text: string;
  /** Strings that end the assistant's turn; never part of the returned text. */
  stop: string[];
  /** Whether special-token text (`<s>`, `</s>`) in `text` is parsed as the special tokens. */
  parseSpecial: boolean;
}

export const chatFormats = ["alpaca", "llama2-chat", "chatml", "jinja"] as const;
export type ChatFormat = (typeof chatFormats)[number];

export interface ChatTemplate {
  readonly format: ChatFormat;
  render(messages: readonly ChatMessage[]): RenderedPrompt;
  /**
   * Present when the template renders tools itself (a GGUF template that reads `tools`): the messages as they
   * came, tool calls and `tool` results included, and the tools offered.
   */
  renderWithTools?(messages: readonly ToolChatMessage[], tools: readonly ToolDefinition[]): RenderedPrompt;
}
