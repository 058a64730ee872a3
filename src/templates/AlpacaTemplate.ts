import type { ChatMessage, ChatTemplate, RenderedPrompt } from "./ChatTemplate.js";

/**
 * The Alpaca format of the Nous-Hermes-Llama2 model card: system text first, `### Instruction:` for user turns,
 * `### Input:` for a user message named "input", `### Response:` for assistant turns, each section followed by a
 * blank line, and an open `### Response:\n` for the model to complete.
 */
export class AlpacaTemplate implements ChatTemplate {
  readonly format = "alpaca" as const;

  render(messages: readonly ChatMessage[]): RenderedPrompt {
    let text = "";
    for (const message of messages) {
      if (message.role === "system") text += `${message.content}\n\n`;
      else if (message.role === "assistant") text += `### Response:\n${message.content}\n\n`;
      else if (message.name === "input") text += `### Input:\n${message.content}\n\n`;
      else text += `### Instruction:\n${message.content}\n\n`;
    }
    text += "### Response:\n";
    return { text, stop: ["### Instruction:", "### Input:", "### Response:"], parseSpecial: false };
  }
}
