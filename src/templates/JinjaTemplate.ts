import { Template } from "@huggingface/jinja";
import { InvalidRequestError } from "../errors/ApiError.js";
import type { ChatMessage, ChatTemplate, RenderedPrompt } from "./ChatTemplate.js";

/** The GGUF's own `tokenizer.chat_template`, rendered as Hugging Face's `apply_chat_template` does. */
export class JinjaTemplate implements ChatTemplate {
  readonly format = "jinja" as const;
  private readonly template: Template;

  constructor(
    source: string,
    private readonly specialTokens: { bos: string; eos: string },
  ) {
    this.template = new Template(source);
  }

  render(messages: readonly ChatMessage[]): RenderedPrompt {
    let text: string;
    try {
      text = this.template.render({
        messages,
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
