import type { ChatMessage, ChatTemplate, RenderedPrompt } from "./ChatTemplate.js";

/**
 * Meta's Llama-2-chat format: `<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s>` per
 * exchange, the system prompt folded into the first user turn, as in Meta's reference chat template.
 */
export class Llama2ChatTemplate implements ChatTemplate {
  readonly format = "llama2-chat" as const;

  render(messages: readonly ChatMessage[]): RenderedPrompt {
    const system = messages.filter((m) => m.role === "system").map((m) => m.content.trim());
    let pendingSystem = system.length > 0 ? `<<SYS>>\n${system.join("\n\n")}\n<</SYS>>\n\n` : "";
    let text = "";
    let open = false;
    for (const message of messages) {
      if (message.role === "system") continue;
      if (message.role === "user") {
        if (open) text += " [/INST]";
        text += `<s>[INST] ${pendingSystem}${message.content.trim()}`;
        pendingSystem = "";
        open = true;
      } else {
        if (!open) text += `<s>[INST] ${pendingSystem}`;
        pendingSystem = "";
        text += ` [/INST] ${message.content.trim()} </s>`;
        open = false;
      }
    }
    if (!open) text += `<s>[INST] ${pendingSystem}`;
    text += " [/INST]";
    return { text, stop: [], parseSpecial: true };
  }
}
