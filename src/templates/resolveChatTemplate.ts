import { AlpacaTemplate } from "./AlpacaTemplate.js";
import { ChatMlTemplate } from "./ChatMlTemplate.js";
import type { ChatFormat, ChatTemplate } from "./ChatTemplate.js";
import { JinjaTemplate } from "./JinjaTemplate.js";
import { Llama2ChatTemplate } from "./Llama2ChatTemplate.js";

export interface ChatTemplateSource {
  /** `--chat-format`, when given. */
  requested?: ChatFormat;
  /** The GGUF's `tokenizer.chat_template`, when it has one. */
  ggufTemplate?: string;
  specialTokens: { bos: string; eos: string };
}

/**
 * Picks the prompt format: `--chat-format` first, then the GGUF's own template, and Alpaca otherwise. Alpaca is
 * the format of Nous-Hermes-Llama2 (its model card), whose GGUF files carry no chat template; a GGUF without a
 * template of any other name gets it too, where llama-server would guess ChatML.
 */
export function resolveChatTemplate(source: ChatTemplateSource): ChatTemplate {
  const format = source.requested ?? (source.ggufTemplate !== undefined ? "jinja" : "alpaca");
  switch (format) {
    case "alpaca":
      return new AlpacaTemplate();
    case "llama2-chat":
      return new Llama2ChatTemplate();
    case "chatml":
      return new ChatMlTemplate();
    case "jinja":
      if (source.ggufTemplate === undefined) {
        throw new Error("--chat-format jinja needs a GGUF with tokenizer.chat_template, and this model has none");
      }
      return new JinjaTemplate(source.ggufTemplate, source.specialTokens);
  }
}
