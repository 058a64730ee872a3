import type { Engine } from "../engine/Engine.js";
import type { SamplingParams } from "../engine/types.js";
import type { ChatMessage, ChatTemplate } from "../templates/ChatTemplate.js";
import { resolveChatTemplate } from "../templates/resolveChatTemplate.js";
import { guardCategories } from "./guardCategories.js";
import type { ModerationCheck, ModerationVerdict } from "./ModerationVerdict.js";

/** Llama Guard 3's hazard taxonomy; the classifier answers with these codes. */
const TAXONOMY = [
  "Violent Crimes",
  "Non-Violent Crimes",
  "Sex-Related Crimes",
  "Child Sexual Exploitation",
  "Defamation",
  "Specialized Advice",
  "Privacy",
  "Intellectual Property",
  "Indiscriminate Weapons",
  "Hate",
  "Suicide & Self-Harm",
  "Sexual Content",
  "Elections",
  "Code Interpreter Abuse",
];

const MAX_ANSWER_TOKENS = 32;
/** The answer format, enforced: "safe", or "unsafe" and a line of category codes. */
const VERDICT_GRAMMAR = 'root ::= "safe" | "unsafe" "\\n" code ("," code)*\ncode ::= "S" ([1-9] | "1" [0-4])\n';
const GREEDY: SamplingParams = {
  temperature: 0,
  topK: 0,
  topP: 1,
  minP: 0,
  seed: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map(),
};

/**
 * A Llama-Guard-style moderation model run through an engine of its own: the text (with the prompt it answers,
 * for an output) goes in the model's own chat template when its GGUF has one (Llama Guard 3 builds its task prompt
 * there), else in Llama Guard's task prompt in the Llama-2 chat format; the answer is sampled greedily under a
 * grammar of verdicts, so it always parses. Codes map to hate / self_harm / sexual / violence.
 */
export class GuardClassifier implements ModerationCheck {
  readonly name = "moderation model";
  readonly incremental = false;
  private readonly template: ChatTemplate;

  constructor(private readonly engine: Engine) {
    const info = engine.info;
    this.template = resolveChatTemplate({
      ...(info.chatTemplate !== undefined ? { ggufTemplate: info.chatTemplate } : { requested: "llama2-chat" }),
      specialTokens: { bos: info.bosText, eos: info.eosText },
    });
  }

  async check(text: string, source: "prompt" | "output", context?: string): Promise<Partial<ModerationVerdict>> {
    let promptTokens = this.prompt(text, source, context);
    // a text longer than the model's context is judged by its end (and an output's prompt by its end too)
    while (promptTokens.length > this.engine.info.contextSize - MAX_ANSWER_TOKENS && (text.length > 1 || (context?.length ?? 0) > 1)) {
      text = text.slice(Math.ceil(text.length / 4));
      context = context?.slice(Math.ceil(context.length / 4));
      promptTokens = this.prompt(text, source, context);
    }
    let answer = "";
    const events = this.engine.generate({
      promptTokens,
      maxTokens: MAX_ANSWER_TOKENS,
      sampling: GREEDY,
      stop: [],
      structured: { grammar: VERDICT_GRAMMAR, close: closeVerdict },
    });
    for await (const event of events) if (event.type === "text") answer += event.text;
    return { categories: guardCategories(answer) };
  }

  private prompt(text: string, source: "prompt" | "output", context: string | undefined): number[] {
    const conversation: ChatMessage[] =
      source === "prompt" ? [{ role: "user", content: text }] : [{ role: "user", content: context ?? "" }, { role: "assistant", content: text }];
    const rendered = this.template.render(this.template.format === "jinja" ? conversation : [{ role: "user", content: taskPrompt(conversation) }]);
    return this.engine.promptTokens(rendered.text, rendered.parseSpecial);
  }
}

/** Llama Guard's task prompt for the last turn of `conversation`. */
function taskPrompt(conversation: readonly ChatMessage[]): string {
  const role = conversation.at(-1)?.role === "assistant" ? "Agent" : "User";
  return [
    `Task: Check if there is unsafe content in '${role}' messages in conversations according our safety policy with the below categories.`,
    "",
    "<BEGIN UNSAFE CONTENT CATEGORIES>",
    ...TAXONOMY.map((name, i) => `S${i + 1}: ${name}.`),
    "<END UNSAFE CONTENT CATEGORIES>",
    "",
    "<BEGIN CONVERSATION>",
    "",
    ...conversation.flatMap((message) => [`${message.role === "assistant" ? "Agent" : "User"}: ${message.content}`, ""]),
    "<END CONVERSATION>",
    "",
    `Provide your safety assessment for ONLY THE LAST ${role} message in the above conversation:`,
    "- First line must read 'safe' or 'unsafe'.",
    "- If unsafe, a second line must include a comma-separated list of violated categories.",
  ].join("\n");
}

/** Completes a verdict the grammar above allows: "safe", or "unsafe" with at least one whole code. */
function closeVerdict(text: string): string {
  if ("safe".startsWith(text)) return "safe".slice(text.length);
  if ("unsafe\n".startsWith(text)) return `${"unsafe\n".slice(text.length)}S1`;
  if (/[\n,]$/.test(text)) return "S1";
  return /S$/.test(text) ? "1" : "";
}
