import type { ChatMessage, ChatTemplate, RenderedPrompt } from "./ChatTemplate.js";

/** ChatML: `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then an open assistant turn. */
export class ChatMlTemplate implements ChatTemplate {
  readonly format = "chatml" as const;

  render(messages: readonly ChatMessage[]): RenderedPrompt {
    let text = "";
    for (const message of messages) text += `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`;
    text += "<|im_start|>assistant\n";
    return { text, stop: ["<|im_end|>", "<|im_start|>"], parseSpecial: true };
  }
}
