import { randomUUID } from "node:crypto";
import type { FinishReason, GenerationUsage, TokenAlternative, TokenLogprob } from "../engine/types.js";
import type { HarmCategory, ModerationVerdict } from "../moderation/ModerationVerdict.js";

/**
 * Response bodies, shaped as the hosted API sends them (its `content_filter_results` when moderation runs,
 * `system_fingerprint`, usage details) and valid against OpenAI's published schema at the same time (`logprobs: null`,
 * `refusal: null`, usage details as objects).
 */

/** A harm category's result; `severity` (Azure's scale) only when a moderation model judged the text. */
export interface CategoryResult {
  filtered: boolean;
  severity?: "safe" | "high";
}

export interface ContentFilterResults {
  hate: CategoryResult;
  self_harm: CategoryResult;
  sexual: CategoryResult;
  violence: CategoryResult;
  jailbreak: { filtered: boolean; detected: boolean };
  profanity: { filtered: boolean; detected: boolean };
}

/** Azure's report on the prompts, one entry per prompt (chat: one). */
export type PromptFilterResults = Array<{ prompt_index: number; content_filter_results: ContentFilterResults }>;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

/** A chat choice's logprobs (or a chunk's share of them). */
export interface ChatLogprobs {
  content: ChatTokenLogprob[];
  refusal: null;
}

/** The legacy completions' logprobs: parallel lists, one entry per token. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}

/** A function call in a response. */
export interface ToolCallWire {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A streamed fragment of a function call: the first one of a call has its id and name. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

/** Why a choice ended: the engine's reasons, the calls the model made, or the content filter withholding it. */
export type ChoiceFinishReason = FinishReason | "tool_calls" | "function_call" | "content_filter";

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    /** `function_call`: the call, when the request used the deprecated `functions`. */
    message: { role: "assistant"; content: string | null; refusal: null; tool_calls?: ToolCallWire[]; function_call?: { name: string; arguments: string } };
    logprobs: ChatLogprobs | null;
    finish_reason: ChoiceFinishReason;
    /** When moderation runs. */
    content_filter_results?: ContentFilterResults;
  }>;
  /** When moderation runs. */
  prompt_filter_results?: PromptFilterResults;
  usage: Usage;
  system_fingerprint: string;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: "assistant"; content?: string; tool_calls?: ToolCallDelta[]; function_call?: { name?: string; arguments: string } };
    logprobs: ChatLogprobs | null;
    finish_reason: ChoiceFinishReason | null;
    /** When moderation runs. */
    content_filter_results?: ContentFilterResults;
  }>;
  /** On the first chunk, when moderation runs. */
  prompt_filter_results?: PromptFilterResults;
  system_fingerprint: string;
  usage?: Usage | null;
}

export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    text: string;
    logprobs: CompletionLogprobs | null;
    finish_reason: FinishReason | "content_filter" | null;
    /** When moderation runs. */
    content_filter_results?: ContentFilterResults;
  }>;
  /** When moderation runs (streamed: on the first chunk). */
  prompt_filter_results?: PromptFilterResults;
  usage?: Usage | null;
  system_fingerprint: string;
}

/** The backend fingerprint the hosted API reports. */
export const SYSTEM_FINGERPRINT = "";

/**
 * A moderation verdict in Azure's shape: `detected` for what was found, `filtered` when it was also acted on
 * (`blocking`).
 */
export function contentFilterResults(verdict: ModerationVerdict, blocking = false): ContentFilterResults {
  const category = (name: HarmCategory): CategoryResult => {
    const found = verdict.categories?.[name] === true;
    return { filtered: blocking && found, ...(verdict.categories ? { severity: found ? "high" : "safe" } : {}) };
  };
  const detected = (found: boolean): { filtered: boolean; detected: boolean } => ({ filtered: blocking && found, detected: found });
  return {
    hate: category("hate"),
    self_harm: category("self_harm"),
    sexual: category("sexual"),
    violence: category("violence"),
    jailbreak: detected(verdict.jailbreak),
    profanity: detected(verdict.profanity),
  };
}

/**
 * A choice's `content_filter_results`, when its output was judged: with moderation off there is no verdict and no
 * field, so that "not checked" cannot be read as "checked, clean".
 */
export function contentFilterField(verdict: ModerationVerdict | undefined, blocking: boolean): { content_filter_results?: ContentFilterResults } {
  return verdict ? { content_filter_results: contentFilterResults(verdict, blocking) } : {};
}

/** The prompts' verdicts as Azure's `prompt_filter_results`; undefined when there are none (moderation off). */
export function promptFilterResults(verdicts: readonly ModerationVerdict[] | undefined, blocking: boolean): PromptFilterResults | undefined {
  return verdicts?.map((verdict, index) => ({ prompt_index: index, content_filter_results: contentFilterResults(verdict, blocking) }));
}

/** What a verdict found, in words (for error messages). */
export function findings(verdict: ModerationVerdict): string[] {
  return [
    ...(verdict.profanity ? ["profanity"] : []),
    ...(verdict.jailbreak ? ["jailbreak"] : []),
    ...Object.entries(verdict.categories ?? {}).flatMap(([name, found]) => (found ? [name] : [])),
  ];
}

export function toUsage(usage: GenerationUsage): Usage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

export function sumUsage(usages: readonly GenerationUsage[]): GenerationUsage {
  return usages.reduce(
    (sum, u) => ({
      promptTokens: sum.promptTokens + u.promptTokens,
      completionTokens: sum.completionTokens + u.completionTokens,
      cachedTokens: sum.cachedTokens + u.cachedTokens,
    }),
    { promptTokens: 0, completionTokens: 0, cachedTokens: 0 },
  );
}

/** Generated tokens' logprobs in the chat shape (the first token of a prompt, which has none, never comes here). */
export function toChatLogprobs(tokens: readonly TokenLogprob[]): ChatLogprobs {
  const alternative = (t: TokenAlternative): ChatTokenLogprob["top_logprobs"][number] => ({ token: t.text, logprob: t.logprob, bytes: t.bytes });
  return {
    content: tokens.map((t) => ({ token: t.text, logprob: t.logprob ?? 0, bytes: t.bytes, top_logprobs: t.top.map(alternative) })),
    refusal: null,
  };
}

/**
 * Tokens' logprobs in the legacy completions shape. `top_logprobs` maps each alternative's text to its logprob and
 * always holds the token itself too (so up to `logprobs` + 1 entries, as OpenAI documents); `text_offset` counts
 * from `offset`, where the token list starts in the choice's text.
 */
export function toCompletionLogprobs(tokens: readonly TokenLogprob[], offset: number): CompletionLogprobs {
  const result: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const t of tokens) {
    result.tokens.push(t.text);
    result.token_logprobs.push(t.logprob);
    result.text_offset.push(offset + t.offset);
    if (t.logprob === null) {
      result.top_logprobs.push(null);
      continue;
    }
    const top = Object.create(null) as Record<string, number>; // a token's text may be "__proto__"
    for (const alternative of [...t.top, { text: t.text, logprob: t.logprob }]) top[alternative.text] ??= alternative.logprob;
    result.top_logprobs.push(top);
  }
  return result;
}

/** OpenAI's form of a call id: `call_` and 24 letters and digits. */
export function toolCallId(): string {
  return `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/** `chat-` or `cmpl-` followed by 32 hex digits, as the hosted API names its responses. */
export function responseId(prefix: "chat" | "cmpl"): string {
  return `${prefix}-${randomUUID().replaceAll("-", "")}`;
}

export function unixTime(): number {
  return Math.floor(Date.now() / 1000);
}
